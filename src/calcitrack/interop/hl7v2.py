"""HL7 v2 in: ORU^R01 report messages to :class:`Report` objects, and the ACK that answers them.

Field mapping (documented in ``docs/interop.md``):

- ``MSH-9`` must be ``ORU^R01`` (else ``AR``, HL7 table 0357 code 200); ``MSH-10`` (control id) is
  required, echoed in ``MSA-2``; ``MSH-12`` is echoed in the ACK.
- ``PID-3`` first repetition, first component = the registry's pseudonymous patient key (required).
- each ``OBR`` opens one report: id = ``OBR-3`` (filler order number / accession), else ``OBR-2``, else
  ``MSH-10`` + the OBR's position; date = ``OBR-7`` (observation date/time); modality from ``OBR-4``
  text when one modality word is clear.
- ``OBR-25`` = ``X`` (cancelled) is refused (AE); other statuses are stored, and a later message for the
  same report id with different text amends it (the sender's latest message wins; see :mod:`mllp`).
- the report text = ``OBX-5`` values of type ``TX``, ``FT``, ``ST`` (or ``CE``/``CWE`` text) following the
  OBR, in order, unescaped, one line each.

Errors are :class:`Hl7Error` with the ACK code (``AE`` for a bad field in a message we support, ``AR`` for
a message we do not accept), the segment-field location (``PID-3``) and a reason that never quotes
patient data or report text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from calcitrack.errors import InvalidInput
from calcitrack.models import Modality, Report

TEXT_TYPES = frozenset({"TX", "FT", "ST", "CE", "CWE"})
_MODALITY_WORDS: tuple[tuple[re.Pattern[str], Modality], ...] = (
    (re.compile(r"\b(CT|CAT|TDM|scanner|tomodensitom\w*|computed tomography)\b", re.I), Modality.CT),
    (re.compile(r"\b(US|ultrasound|sonograph\w*|[ée]chograph\w*|doppler)\b", re.I), Modality.US),
    (re.compile(r"\b(MR|MRI|IRM|magnetic resonance)\b", re.I), Modality.MR),
    (re.compile(r"\b(XR|x-ray|radiograph\w*)\b", re.I), Modality.XR),
)

# HL7 table 0357 (message error condition codes); only the codes verified in several public sources.
ERR_REQUIRED_FIELD_MISSING = ("101", "Required field missing")
ERR_UNSUPPORTED_MESSAGE_TYPE = ("200", "Unsupported message type")
ERR_INTERNAL = ("207", "Application internal error")


class Hl7Error(InvalidInput):
    """A message calcitrack cannot accept; ``code`` is the ACK code (AE or AR), ``location`` e.g. PID-3."""

    def __init__(
        self, reason: str, *, code: str = "AE", location: str | None = None,
        error: tuple[str, str] = ERR_REQUIRED_FIELD_MISSING,
    ) -> None:
        super().__init__(f"{location}: {reason}" if location else reason)
        self.reason = reason
        self.code = code
        self.location = location
        self.error = error


@dataclass
class Header:
    """What the ACK needs from the incoming MSH (defaults when MSH itself is unreadable)."""

    control_id: str = ""
    sending_app: str = ""
    sending_facility: str = ""
    receiving_app: str = ""
    receiving_facility: str = ""
    version: str = "2.5"
    message_type: str = ""


@dataclass
class OruMessage:
    header: Header
    reports: list[Report] = field(default_factory=list)


def normalise(raw: str | bytes) -> str:
    """Segment separators to ``\\r`` (files often use ``\\n``); surrounding blank lines dropped."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    return "\r".join(line for line in text.split("\r") if line.strip())


def _field(segment: Any, index: int) -> str:
    """Field ``index`` (1-based, as HL7 numbers them) of a python-hl7 segment, '' when absent."""
    try:
        return str(segment[index]) if len(segment) > index else ""
    except (IndexError, TypeError):
        return ""


def _component(segment: Any, index: int, component: int = 1) -> str:
    value = _field(segment, index)
    if not value:
        return ""
    first_repetition = value.split("~")[0]
    parts = first_repetition.split("^")
    return parts[component - 1] if len(parts) >= component else ""


def read_header(text: str) -> Header:
    """The MSH fields the ACK needs, read without python-hl7 so that even a broken message gets an ACK."""
    first = text.split("\r", 1)[0]
    if not first.startswith("MSH") or len(first) < 8:
        return Header()
    separator = first[3]
    fields = first.split(separator)
    # fields[0] = "MSH", fields[1] = encoding characters (= MSH-2); MSH-n is fields[n - 1]

    def get(n: int) -> str:
        return fields[n - 1] if len(fields) >= n else ""

    return Header(
        sending_app=get(3), sending_facility=get(4), receiving_app=get(5), receiving_facility=get(6),
        message_type=get(9), control_id=get(10), version=get(12).split("^")[0] or "2.5",
    )


def _date(value: str, location: str) -> dt.date | None:
    digits = value.strip()[:8]
    if not digits:
        return None
    if not re.fullmatch(r"\d{8}", digits):
        raise Hl7Error("not an HL7 date (expected YYYYMMDD[HHMM...])", location=location)
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise Hl7Error("not a valid calendar date", location=location) from exc


def _modality(text: str) -> Modality | None:
    found = {modality for pattern, modality in _MODALITY_WORDS if pattern.search(text)}
    return found.pop() if len(found) == 1 else None


def parse_oru(raw: str | bytes) -> OruMessage:
    """Parse one ORU^R01 message into reports; raises :class:`Hl7Error` naming the segment and field."""
    import hl7  # type: ignore[import-untyped]  # python-hl7 ships no type information

    text = normalise(raw)
    if not text:
        raise Hl7Error("empty message", code="AR", location="MSH")
    header = read_header(text)
    if not text.startswith("MSH"):
        raise Hl7Error("message does not start with an MSH segment", code="AR", location="MSH")
    try:
        message = hl7.parse(text)
    except Exception as exc:  # python-hl7 raises several types for unparseable input
        raise Hl7Error(f"unparseable message ({type(exc).__name__})", code="AR", location="MSH") from exc
    msh = message.segment("MSH")
    msg_type = _field(msh, 9).split("^")
    if not header.control_id:
        raise Hl7Error("message control id is missing", code="AR", location="MSH-10")
    if len(msg_type) < 2 or msg_type[0] != "ORU" or msg_type[1] != "R01":
        raise Hl7Error(
            f"message type {'^'.join(msg_type[:2]) or 'missing'} is not supported; only ORU^R01",
            code="AR", location="MSH-9", error=ERR_UNSUPPORTED_MESSAGE_TYPE,
        )
    pids = [s for s in message if str(s[0]) == "PID"]
    if not pids:
        raise Hl7Error("PID segment is missing", location="PID")
    patient_id = _component(pids[0], 3).strip()
    if not patient_id:
        raise Hl7Error("patient identifier is missing", location="PID-3")
    reports: list[Report] = []
    current: dict[str, Any] | None = None
    groups: list[dict[str, Any]] = []
    for segment in message:
        name = str(segment[0])
        if name == "OBR":
            current = {"obr": segment, "lines": [], "index": len(groups) + 1}
            groups.append(current)
        elif name == "OBX":
            if current is None:
                raise Hl7Error("OBX segment before any OBR", location="OBX")
            value_type = _field(segment, 2).strip().upper()
            if value_type in TEXT_TYPES:
                value = _field(segment, 5)
                if value_type in ("CE", "CWE"):
                    value = value.split("^")[1] if "^" in value else value
                current["lines"].append(message.unescape(value.replace("~", "\n")) if value else "")
    if not groups:
        raise Hl7Error("OBR segment is missing", location="OBR")
    for group in groups:
        obr = group["obr"]
        where = f"OBR[{group['index']}]"
        if _field(obr, 25).strip().upper() == "X":
            raise Hl7Error("result status X (cancelled): not stored", location=f"{where} OBR-25",
                           error=ERR_INTERNAL)
        report_id = (_component(obr, 3) or _component(obr, 2)).strip() or f"{header.control_id}-{group['index']}"
        body = "\n".join(group["lines"]).strip()
        if not body:
            raise Hl7Error("no report text (no OBX segment of type TX, FT or ST with a value)",
                           location=f"{where} OBX-5")
        service = " ".join(filter(None, (_component(obr, 4, 2), _component(obr, 4, 1), _component(obr, 24))))
        reports.append(
            Report(
                id=report_id[:200], patient_id=patient_id[:128],
                date=_date(_field(obr, 7), f"{where} OBR-7"), modality=_modality(service), text=body,
            )
        )
    return OruMessage(header=header, reports=reports)


def _escape(value: str, separator: str = "|") -> str:
    """HL7-escape free text for MSA-3 / ERR-8 (delimiters and line breaks)."""
    out = value.replace("\\", "\\E\\").replace(separator, "\\F\\").replace("^", "\\S\\").replace("&", "\\T\\")
    out = out.replace("~", "\\R\\")
    return " ".join(out.split())


def build_ack(
    header: Header, code: str = "AA", text: str | None = None, *, location: str | None = None,
    error: tuple[str, str] | None = None, now: dt.datetime | None = None, control_id: str | None = None,
) -> str:
    """An ACK message (segments separated by ``\\r``).

    ``MSA-1`` = AA / AE / AR, ``MSA-2`` = the incoming ``MSH-10``, ``MSA-3`` = ``text``; for AE/AR an ``ERR``
    segment (v2.5 layout): ``ERR-2`` location (segment^1^field), ``ERR-3`` table-0357 code, ``ERR-4``
    severity ``E``, ``ERR-8`` the reason for the user.
    """
    if code not in ("AA", "AE", "AR"):
        raise ValueError(f"ACK code must be AA, AE or AR, not {code!r}")
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%d%H%M%S")
    ack_id = control_id or f"ACK{now.strftime('%Y%m%d%H%M%S%f')}"[:20]
    msh = "|".join([
        "MSH", "^~\\&", "CALCITRACK", "CALCITRACK", _escape(header.sending_app), _escape(header.sending_facility),
        stamp, "", "ACK^R01^ACK", ack_id, "P", _escape(header.version) or "2.5",
    ])
    segments = [msh, "|".join(["MSA", code, _escape(header.control_id)] + ([_escape(text)] if text else []))]
    if code != "AA":
        err_code, err_text = error or ERR_INTERNAL
        erl = ""
        if location:
            match = re.search(r"([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:[ -]*(?:[A-Z][A-Z0-9]{2})?-(\d+))?", location)
            if match:
                erl = "^".join(filter(None, (match.group(1), match.group(2) or "1", match.group(3))))
        segments.append("|".join(["ERR", "", erl, f"{err_code}^{err_text}^HL70357", "E", "", "", "",
                                  _escape(text or err_text)]))
    return "\r".join(segments) + "\r"


def ack_for_error(raw: str | bytes, exc: Hl7Error) -> str:
    """The AE/AR answer for a message that :func:`parse_oru` (or ingestion) refused."""
    header = read_header(normalise(raw)) if raw else Header()
    return build_ack(header, exc.code, exc.reason if not exc.location else f"{exc.location}: {exc.reason}",
                     location=exc.location, error=exc.error)


def split_messages(raw: str | bytes) -> list[str]:
    """A file of one or more messages (each starting with MSH; batch FHS/BHS/BTS/FTS lines dropped)."""
    text = normalise(raw)
    messages: list[list[str]] = []
    for line in text.split("\r"):
        tag = line[:3]
        if tag in ("FHS", "BHS", "BTS", "FTS"):
            continue
        if tag == "MSH" or not messages:
            messages.append([line])
        else:
            messages[-1].append(line)
    return ["\r".join(m) for m in messages if m]
