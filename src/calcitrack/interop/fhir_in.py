"""FHIR in: a ``DiagnosticReport`` (or a ``Bundle`` of them) to calcitrack :class:`Report` objects.

Why validate with ``fhir.resources`` first: a sender's JSON is checked against the real R4B models
(R4-compatible for DiagnosticReport), so a wrong date or a broken base64 is rejected with the FHIR path
of the bad element instead of surfacing later as a strange analysis. Error messages name the input and
the path (``DiagnosticReport.presentedForm[0].data``) but never quote report text or identifiers.

Text is taken, in order of preference, from ``presentedForm`` attachments whose ``contentType`` is
``text/plain`` (decoded with their ``charset``, UTF-8 by default; several are joined), then from
``conclusion``. Attachments of other types (PDF, HTML) are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from calcitrack.errors import InputError
from calcitrack.models import Modality, Report

TRACKABLE_STATUSES = frozenset({"registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
                                "unknown"})
"""DiagnosticReport statuses that carry a usable report; ``cancelled`` and ``entered-in-error`` are refused."""
REFUSED_STATUSES = frozenset({"cancelled", "entered-in-error"})
FINAL_STATUSES = frozenset({"final", "amended", "corrected", "appended"})
"""Only these are stored in the registry: a preliminary report would open follow-ups its final may undo."""
BUNDLE_TYPES = frozenset({"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                          "history", "searchset", "collection"})
"""The models do not check code values (they list them in metadata only), so enumerations are checked here."""

DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
_DICOM_MODALITY = {"CT": Modality.CT, "US": Modality.US, "MR": Modality.MR, "CR": Modality.XR, "DX": Modality.XR}
_MODALITY_WORDS: tuple[tuple[re.Pattern[str], Modality], ...] = (
    (re.compile(r"\b(CT|CAT|scanner|tomodensitom\w*|computed tomography)\b", re.I), Modality.CT),
    (re.compile(r"\b(US|ultrasound|ultrasonography|sonography|[ée]chograph\w*|doppler)\b", re.I), Modality.US),
    (re.compile(r"\b(MR|MRI|IRM|magnetic resonance)\b", re.I), Modality.MR),
    (re.compile(r"\b(XR|x-ray|radiograph\w*|radiographie)\b", re.I), Modality.XR),
)
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass
class FhirReport:
    """A report read from FHIR, with the reference to send back in output (``DiagnosticReport/<id>``)."""

    report: Report
    reference: str | None
    status: str


def _path(prefix: str, loc: Iterable[Any]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(prefix: str, exc: ValidationError, source: str) -> InputError:
    first = exc.errors()[0]
    message = str(first.get("msg", "invalid value")).split("\n")[0]
    return InputError(f"{source}: {_path(prefix, first.get('loc', ()))}: {message}")


def load_json(data: bytes | str, source: str) -> dict[str, Any]:
    """Parse JSON bytes/text into an object; errors name the source and the line."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise InputError(f"{source}: expected a FHIR resource (a JSON object)")
    return value


def _charset(content_type: str) -> str:
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", content_type, re.I)
    return match.group(1) if match else "utf-8"


def _is_text_plain(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "text/plain"  # type: ignore[union-attr]


def _text_of(resource: Any, path: str, source: str) -> tuple[str, str | None]:
    """The report text and the attachment language, presentedForm first, then conclusion."""
    parts: list[str] = []
    language: str | None = None
    for index, attachment in enumerate(resource.presentedForm or []):
        if not _is_text_plain(attachment.contentType) or attachment.data is None:
            continue
        raw: bytes = attachment.data if isinstance(attachment.data, bytes) else str(attachment.data).encode()
        charset = _charset(attachment.contentType)
        where = f"{path}.presentedForm[{index}].data"
        try:
            parts.append(raw.decode(charset))
        except LookupError as exc:
            where = f"{path}.presentedForm[{index}].contentType"
            raise InputError(f"{source}: {where}: unknown charset {charset!r}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: {where}: not valid {charset} text") from exc
        language = language or attachment.language
    text = "\n\n".join(p.strip("\n") for p in parts if p.strip())
    if not text and resource.conclusion and resource.conclusion.strip():
        text = resource.conclusion
    if not text.strip():
        raise InputError(
            f"{source}: {path}: no report text (no text/plain presentedForm with data, and no conclusion)"
        )
    return text, language


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    base = value.split("-")[0].lower()
    return base if base in ("en", "fr") else None


def _date(resource: Any) -> dt.date | None:
    effective = resource.effectiveDateTime
    if effective is None and resource.effectivePeriod is not None:
        effective = resource.effectivePeriod.start or resource.effectivePeriod.end
    if effective is None:
        effective = resource.issued
    if effective is None:
        return None
    if isinstance(effective, dt.datetime):
        return effective.date()
    if isinstance(effective, dt.date):
        return effective
    text = str(effective)  # partial dates (YYYY, YYYY-MM) are legal FHIR but not a day: keep the first
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def _modality(resource: Any) -> Modality | None:
    """Only when clear: a DICOM modality coding, else one modality word in code/category texts."""
    concepts = [resource.code, *(resource.category or [])]
    for concept in concepts:
        for coding in (concept.coding or []) if concept else []:
            if coding.system == DICOM_SYSTEM and coding.code in _DICOM_MODALITY:
                return _DICOM_MODALITY[coding.code]
    words = " ".join(
        filter(None, [c.text for c in concepts if c] + [cd.display for c in concepts if c for cd in (c.coding or [])])
    )
    found = {modality for pattern, modality in _MODALITY_WORDS if pattern.search(words)}
    return found.pop() if len(found) == 1 else None


def _patient_id(subject: Any, contained: dict[str, Any]) -> str | None:
    """``Patient/<id>`` -> id; a reference to a Patient in the same Bundle -> its id or first identifier."""
    if subject is None:
        return None
    reference = subject.reference
    if reference:
        if reference in contained:
            patient = contained[reference]
            # The Bundle's Patient is not validated as a resource: read only well-typed members.
            if isinstance(patient.get("id"), str) and patient["id"]:
                return str(patient["id"])
            identifiers = patient.get("identifier")
            first = identifiers[0] if isinstance(identifiers, list) and identifiers else None
            if isinstance(first, dict) and isinstance(first.get("value"), str) and first["value"]:
                return str(first["value"])
        tail = reference.rstrip("/").split("/")
        if len(tail) >= 2 and tail[-2] == "Patient":
            return str(tail[-1])
    if subject.identifier is not None and subject.identifier.value:
        return str(subject.identifier.value)
    return None


def _report_id(resource: Any, text: str) -> str:
    if resource.id:
        return str(resource.id)
    for identifier in resource.identifier or []:
        if identifier.value:
            return str(identifier.value)
    return "fhir-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def diagnostic_report_to_report(
    data: dict[str, Any], *, source: str = "<input>", path: str = "DiagnosticReport",
    contained: dict[str, Any] | None = None,
) -> FhirReport:
    """Validate one DiagnosticReport (JSON object) and read it into a :class:`Report`."""
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    if data.get("resourceType") != "DiagnosticReport":
        raise InputError(f"{source}: {path}.resourceType: expected DiagnosticReport, got {data.get('resourceType')!r}")
    status = data.get("status")
    if not isinstance(status, str):  # a list or object here would not even be hashable
        raise InputError(f"{source}: {path}.status: expected a status code (a string)")
    if status in REFUSED_STATUSES:
        raise InputError(f"{source}: {path}.status: report is {status}, not analysed")
    if status not in TRACKABLE_STATUSES:
        raise InputError(f"{source}: {path}.status: unknown status {status!r}")
    try:
        resource = DiagnosticReport.model_validate(data)
    except ValidationError as exc:
        raise _describe(path, exc, source) from exc
    text, language = _text_of(resource, path, source)
    report = Report(
        id=_report_id(resource, text),
        patient_id=_patient_id(resource.subject, contained or {}),
        date=_date(resource),
        modality=_modality(resource),
        lang=_lang(language) or _lang(resource.language),
        text=text,
    )
    reference = f"DiagnosticReport/{resource.id}" if resource.id and _FHIR_ID.match(resource.id) else None
    return FhirReport(report=report, reference=reference, status=status)


def read_reports(data: dict[str, Any], *, source: str = "<input>") -> list[FhirReport]:
    """A DiagnosticReport, or every DiagnosticReport of a Bundle (other entries are context or ignored)."""
    kind = data.get("resourceType")
    if kind == "DiagnosticReport":
        return [diagnostic_report_to_report(data, source=source)]
    if kind != "Bundle":
        raise InputError(f"{source}: resourceType: expected DiagnosticReport or Bundle, got {kind!r}")
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data.get("type"), str) or data.get("type") not in BUNDLE_TYPES:
        raise InputError(f"{source}: Bundle.type: unknown bundle type {data.get('type')!r}")
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(f"{source}: Bundle.entry: expected a list")
    # Validate the Bundle envelope (type, fullUrl, request) without re-validating resources twice.
    shell = {k: v for k, v in data.items() if k != "entry"}
    shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in entries if isinstance(e, dict)]
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        raise _describe("Bundle", exc, source) from exc
    contained: dict[str, Any] = {}
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            if entry.get("fullUrl"):
                contained[str(entry["fullUrl"])] = resource
            if resource.get("id"):
                contained[f"Patient/{resource['id']}"] = resource
    reports = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "DiagnosticReport":
            reports.append(
                diagnostic_report_to_report(
                    resource, source=source, path=f"Bundle.entry[{index}].resource", contained=contained
                )
            )
    if not reports:
        raise InputError(f"{source}: Bundle.entry: no DiagnosticReport in the Bundle")
    return reports
