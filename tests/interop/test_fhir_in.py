"""FHIR in: DiagnosticReport / Bundle JSON -> Report, validated by the fhir.resources R4B models."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from tests.interop.helpers import DATA, load, run_cli

from calcitrack.errors import InputError
from calcitrack.interop.fhir_in import diagnostic_report_to_report, load_json, read_reports
from calcitrack.models import Modality


def test_presented_form_text_plain_wins_and_other_attachments_are_ignored() -> None:
    [found] = read_reports(load("diagnosticreport_en.json"), source="dr.json")
    report = found.report
    assert report.text.startswith("CT ABDOMEN\nFindings: There is an 11 mm coarse calcification")
    assert "%PDF" not in report.text
    assert (report.id, report.patient_id, report.date) == ("dr-ct-1001", "PX-FHIR-1", dt.date(2026, 1, 20))
    assert report.modality is Modality.CT and report.lang == "en"
    assert found.reference == "DiagnosticReport/dr-ct-1001"


def test_conclusion_fallback_french_and_dicom_modality() -> None:
    [found] = read_reports(load("diagnosticreport_conclusion_fr.json"))
    assert found.report.text.startswith("Foie : calcification grossière de 8 mm")
    assert found.report.modality is Modality.US
    assert found.report.lang == "fr"
    assert found.report.date == dt.date(2025, 11, 14)


def test_bundle_reads_every_report_with_charset_patient_entry_and_dates() -> None:
    first, second = read_reports(load("bundle_reports.json"), source="bundle.json")
    assert first.report.patient_id == "PX-FHIR-3"  # from the Patient entry the urn:uuid points to
    assert "séquellaire" in first.report.text  # ISO-8859-1 attachment decoded with its charset
    assert first.report.id == "ACC-3003" and first.report.date == dt.date(2024, 3, 2)
    assert first.reference is None  # no resource id: nothing to point back to
    assert second.report.id == "dr-xr-3004" and second.report.date == dt.date(2024, 5, 1)
    assert second.report.modality is Modality.XR
    assert second.report.text.startswith("Punctate calcification")


def _dr() -> dict[str, Any]:
    return copy.deepcopy(load("diagnosticreport_en.json"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["presentedForm"][1].update(data="!!!not-base64"), "DiagnosticReport.presentedForm[1].data"),
        (lambda d: d.update(effectiveDateTime="20th of January"), "DiagnosticReport.effectiveDateTime"),
        (lambda d: d.pop("code"), "DiagnosticReport.code"),
        (lambda d: d.update(status="cancelled"), "DiagnosticReport.status: report is cancelled"),
        (lambda d: d.update(status="done"), "DiagnosticReport.status: unknown status"),
        (lambda d: d.update(resourceType="Observation"), "resourceType"),
        (lambda d: d.update(presentedForm=[d["presentedForm"][0]]), "DiagnosticReport: no report text"),
        (
            lambda d: d["presentedForm"][1].update(contentType="text/plain; charset=klingon"),
            "presentedForm[1].contentType: unknown charset",
        ),
        (
            lambda d: d["presentedForm"][1].update(data=base64.b64encode(b"\xff\xfe\xfa bad").decode()),
            "presentedForm[1].data: not valid utf-8 text",
        ),
    ],
)
def test_malformed_report_names_the_field_path_without_quoting_text(mutate: Any, expected: str) -> None:
    data = _dr()
    mutate(data)
    with pytest.raises(InputError) as info:
        read_reports(data, source="dr.json")
    message = str(info.value)
    assert message.startswith("dr.json: ") and expected in message
    assert "coarse calcification" not in message and "\n" not in message


def test_bundle_errors_name_the_entry() -> None:
    bundle = load("bundle_reports.json")
    bundle["entry"][2]["resource"]["issued"] = "yesterday"
    with pytest.raises(InputError, match=r"Bundle\.entry\[2\]\.resource\.issued"):
        read_reports(bundle, source="b.json")
    with pytest.raises(InputError, match=r"Bundle\.type"):
        read_reports({"resourceType": "Bundle", "type": "pile", "entry": []}, source="b.json")
    with pytest.raises(InputError, match="no DiagnosticReport"):
        read_reports({"resourceType": "Bundle", "type": "collection", "entry": []}, source="b.json")


def test_load_json_errors() -> None:
    with pytest.raises(InputError, match=r"x.json: not valid JSON \(line 1"):
        load_json(b"{nope", "x.json")
    with pytest.raises(InputError, match="expected a FHIR resource"):
        load_json(b"[1, 2]", "x.json")


def test_subject_by_identifier_and_missing_subject() -> None:
    data = _dr()
    data["subject"] = {"identifier": {"system": "urn:example:mrn", "value": "MRN-9"}}
    assert diagnostic_report_to_report(data).report.patient_id == "MRN-9"
    data.pop("subject")
    assert diagnostic_report_to_report(data).report.patient_id is None


def test_cli_fhir_ingest_stores_final_reports_and_refuses_preliminary(db_url: str, engine: object,
                                                                     tmp_path: Path) -> None:
    result = run_cli("fhir", "ingest", str(DATA / "bundle_reports.json"), "--database", db_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stored"] == 2
    timeline = run_cli("timeline", "PX-FHIR-3", "--format", "json", "--database", db_url)
    assert timeline.returncode == 0, timeline.stderr
    assert {r["report_id"] for r in json.loads(timeline.stdout)["reports"]} == {"ACC-3003", "dr-xr-3004"}
    preliminary = load("diagnosticreport_en.json") | {"status": "preliminary"}
    path = tmp_path / "prelim.json"
    path.write_text(json.dumps(preliminary), encoding="utf-8")
    refused = run_cli("fhir", "ingest", str(path), "--database", db_url)
    assert refused.returncode == 2 and "status: preliminary report is not stored" in refused.stderr
