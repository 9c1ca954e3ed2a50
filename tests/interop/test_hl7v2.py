"""HL7 v2: ORU^R01 parsing with python-hl7, and the ACK messages (MSA, ERR)."""

from __future__ import annotations

import datetime as dt

import hl7
import pytest
from tests.interop.helpers import DATA

from calcitrack.interop.hl7v2 import Hl7Error, ack_for_error, build_ack, parse_oru, read_header, split_messages
from calcitrack.models import Modality

MESSAGES = split_messages((DATA / "oru_r01.hl7").read_text(encoding="utf-8"))
GOOD = MESSAGES[0]


def test_file_splits_into_messages() -> None:
    assert len(MESSAGES) == 2
    assert all(m.startswith("MSH|") and "\n" not in m for m in MESSAGES)
    batch = "FHS|^~\\&\rBHS|^~\\&\r" + "\r".join(MESSAGES) + "\rBTS|2\rFTS|1\r"
    assert split_messages(batch) == MESSAGES


def test_oru_fields_map_to_report() -> None:
    parsed = parse_oru(GOOD)
    assert parsed.header.control_id == "MSG-0001" and parsed.header.version == "2.5"
    [report] = parsed.reports
    assert (report.id, report.patient_id, report.date) == ("ACC-HL7-1", "PX-HL7-1", dt.date(2026, 1, 5))
    assert report.modality is Modality.CT
    lines = report.text.split("\n")
    assert lines[0] == "CT ABDOMEN" and len(lines) == 3
    assert lines[2].endswith("segment VII & no duct dilatation.")  # \T\ unescaped


def test_french_ft_message_and_multiple_obr_groups() -> None:
    [report] = parse_oru(MESSAGES[1]).reports
    assert report.modality is Modality.US and "grossière de 7 mm" in report.text
    two = GOOD + "\rOBR|2||ACC-HL7-1B|XR^ABDOMEN X-RAY|||20260105\rOBX|1|ST|&IMP||Punctate splenic calcification."
    first, second = parse_oru(two).reports
    assert second.id == "ACC-HL7-1B" and second.modality is Modality.XR
    assert second.text == "Punctate splenic calcification." and "ABDOMEN" in first.text


def _replace(segment: str, index: int, value: str, message: str = GOOD) -> str:
    lines = message.split("\r")
    for n, line in enumerate(lines):
        if line.startswith(segment + "|"):
            fields = line.split("|")
            fields += [""] * (index + 1 - len(fields))
            fields[index] = value
            lines[n] = "|".join(fields)
            break
    return "\r".join(lines)


MALFORMED = {
    "empty": ("", "AR", "MSH"),
    "not hl7": ("hello world", "AR", "MSH"),
    "no control id": (GOOD.replace("|MSG-0001|", "||"), "AR", "MSH-10"),
    "wrong type": (GOOD.replace("ORU^R01^ORU_R01", "ADT^A01"), "AR", "MSH-9"),
    "no PID": ("\r".join(s for s in GOOD.split("\r") if not s.startswith("PID")), "AE", "PID"),
    "no patient id": (_replace("PID", 3, ""), "AE", "PID-3"),
    "no OBR": ("\r".join(s for s in GOOD.split("\r") if not s.startswith(("OBR", "OBX"))), "AE", "OBR"),
    "OBX first": (GOOD.replace("\rOBR|", "\rZZZ|"), "AE", "OBX"),
    "bad date": (_replace("OBR", 7, "2026-01-05"), "AE", "OBR[1] OBR-7"),
    "cancelled": (_replace("OBR", 25, "X"), "AE", "OBR[1] OBR-25"),
    "no text": ("\r".join(s for s in GOOD.split("\r") if not s.startswith("OBX")), "AE", "OBR[1] OBX-5"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_messages_raise_with_location(name: str) -> None:
    raw, code, location = MALFORMED[name]
    with pytest.raises(Hl7Error) as info:
        parse_oru(raw)
    assert info.value.code == code and info.value.location == location
    assert "PX-HL7-1" not in str(info.value) and "calcification" not in str(info.value)
    ack = hl7.parse(ack_for_error(raw, info.value))  # the answer itself is valid HL7
    assert str(ack.segment("MSA")[1]) == code
    assert str(ack.segment("ERR")[4]) == "E"


def test_ack_accept_echoes_control_id_and_is_parseable() -> None:
    header = read_header(GOOD)
    ack = build_ack(header, "AA", "1 report(s) accepted", now=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC))
    parsed = hl7.parse(ack)
    msh = parsed.segment("MSH")
    assert str(msh[9]) == "ACK^R01^ACK" and str(msh[5]) == "RIS" and str(msh[7]) == "20261123120000"
    assert str(msh[10]) != "MSG-0001"  # the ACK has its own control id
    msa = parsed.segment("MSA")
    assert (str(msa[1]), str(msa[2]), str(msa[3])) == ("AA", "MSG-0001", "1 report(s) accepted")
    assert not [s for s in parsed if str(s[0]) == "ERR"]


def test_ack_error_segment_and_escaping() -> None:
    exc = Hl7Error("patient identifier is missing", location="PID-3")
    ack = ack_for_error(_replace("PID", 3, ""), exc)
    err = next(s for s in ack.split("\r") if s.startswith("ERR|"))
    assert err.startswith("ERR||PID^1^3|101^Required field missing^HL70357|E|")
    text = build_ack(read_header(GOOD), "AE", "a|b^c&d\nnext")
    assert "MSA|AE|MSG-0001|a\\F\\b\\S\\c\\T\\d next" in text
    with pytest.raises(ValueError):
        build_ack(read_header(GOOD), "OK")
