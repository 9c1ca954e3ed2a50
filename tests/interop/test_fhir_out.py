"""FHIR out: Analysis -> Bundle, round trip from a DiagnosticReport, every resource validated."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.servicerequest import ServiceRequest
from tests.interop.helpers import DATA, load, run_cli

from calcitrack.interop.fhir_in import read_reports
from calcitrack.interop.fhir_out import analysis_to_bundle, analysis_to_bundle_dict
from calcitrack.lesions import group_lesions
from calcitrack.models import (
    Action,
    Analysis,
    Assessment,
    Characterisation,
    Evidence,
    Finding,
    Organ,
    Recommendation,
    RecommendationKind,
    Report,
    ReportRecommendation,
    Section,
)
from calcitrack.service import analyze

MODELS = {"Observation": Observation, "ServiceRequest": ServiceRequest, "CarePlan": CarePlan,
          "DiagnosticReport": DiagnosticReport}
# Value sets from the FHIR R4 spec (shared/anchors/cdshooks-fhir.md B.2-B.4): the models do not check codes.
OBSERVATION_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                      "unknown"}
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
SR_INTENT = {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order",
             "instance-order", "option"}
CAREPLAN_INTENT = {"proposal", "plan", "order", "option"}

ACTION_WORDS = {"no_followup": "no follow-up", "surveillance": "surveillance", "workup": "work-up", "urgent": "urgent",
                "out_of_scope": "out of scope"}
"""The English words of the actions in display texts (KB texts ``action_short.*``): codes never show."""


def by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def check_bundle(bundle: dict[str, Any]) -> None:
    """Spec checks: valid per the models, resolvable references, allowed codes."""
    Bundle.model_validate(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    for entry in bundle["entry"]:
        resource = entry["resource"]
        MODELS[resource["resourceType"]].model_validate(resource)
        text = json.dumps(resource)
        for ref in [part.split('"')[0] for part in text.split('"reference": "')[1:]]:
            assert ref in urls or ref.startswith("Patient/"), ref
        if resource["resourceType"] == "Observation":
            assert resource["status"] in OBSERVATION_STATUS
        if resource["resourceType"] == "ServiceRequest":
            assert resource["status"] in REQUEST_STATUS and resource["intent"] in SR_INTENT
        if resource["resourceType"] == "CarePlan":
            assert resource["status"] in REQUEST_STATUS and resource["intent"] in CAREPLAN_INTENT


def test_round_trip_diagnostic_report_to_bundle() -> None:
    [found] = read_reports(load("diagnosticreport_en.json"))
    analysis = analyze(found.report)
    bundle = analysis_to_bundle_dict(analysis, source_reference=found.reference)
    check_bundle(bundle)
    current = [lesion for lesion in analysis.lesions if lesion.current]
    assert current and len(current) < len(analysis.lesions)  # the negated spleen lesion is left out
    assert len(analysis.findings) > len(analysis.lesions)  # the impression restates the liver lesion
    observations = by_type(bundle, "Observation")
    assert len(observations) == len(current)  # one Observation per lesion, not per mention
    [report] = by_type(bundle, "DiagnosticReport")
    assert report["resource"]["id"] == "dr-ct-1001"
    assert report["resource"]["conclusion"] == analysis.summary.headline
    assert [r["reference"] for r in report["resource"]["result"]] == [o["fullUrl"] for o in observations]
    first = observations[0]["resource"]
    assert first["identifier"][0] == {"system": "urn:calcitrack:lesion", "value": f"{found.report.id}/l1"}
    assert first["valueQuantity"] == {"value": 11.0, "unit": "mm", "system": "http://unitsofmeasure.org",
                                      "code": "mm"}
    assert first["bodySite"]["text"] == "liver, segment VI"
    assert first["subject"] == {"reference": "Patient/PX-FHIR-1"}
    assert first["category"][0]["coding"][0]["code"] == "imaging"
    evidence = [n["text"] for n in first["note"] if n["text"].startswith("Evidence")]
    assert len(evidence) == len(current[0].finding_ids) == 2  # every mention's span, the main one first
    assert "main mention f1" in evidence[0] and "(impression;" in evidence[1]  # text order, main one marked
    assert {"code": {"text": "calcification pattern"}, "valueString": "coarse"} in first["component"]
    [assessment] = [a for a in analysis.assessments if a.lesion_id == current[0].id]
    assert first["interpretation"][0]["text"] == f"calcitrack action: {ACTION_WORDS[assessment.action.value]}"
    requests = by_type(bundle, "ServiceRequest")
    expected = sum(1 for a in analysis.assessments for r in a.recommendations if r.kind != RecommendationKind.none)
    expected += sum(1 for r in analysis.report_recommendations if not r.no_followup)
    assert len(requests) == expected > 0
    obs_url = observations[0]["fullUrl"]
    assert all(r["resource"]["reasonReference"][0]["reference"] == obs_url for r in requests)
    [plan] = by_type(bundle, "CarePlan")
    assert [a["reference"]["reference"] for a in plan["resource"]["activity"]] == [r["fullUrl"] for r in requests]
    assert {"reference": obs_url} in plan["resource"]["supportingInfo"]
    assert "l1 (liver, segment VI): work-up" in plan["resource"]["description"]


def test_one_lesion_named_twice_is_one_observation_without_fallback_request() -> None:
    analysis = analyze(Report(id="R-3MM", text="LIVER: Two punctate calcifications in the right lobe, the largest "
                                                "3 mm.\nIMPRESSION: Tiny hepatic calcifications."))
    assert len(analysis.findings) == 2 and len(analysis.lesions) == 1
    bundle = analysis_to_bundle_dict(analysis)
    check_bundle(bundle)
    [obs] = [e["resource"] for e in by_type(bundle, "Observation")]
    assert obs["identifier"][0]["value"] == "R-3MM/l1"
    assert obs["valueQuantity"]["value"] == 3.0
    assert {"code": {"text": "count"}, "valueInteger": 2} in obs["component"]
    action = analysis.assessments[0].action.value
    assert obs["interpretation"][0]["text"] == f"calcitrack action: {ACTION_WORDS[action]}"
    assert any(n["text"].startswith("Mentions disagree on number") for n in obs["note"])
    texts = [e["resource"]["code"]["text"] for e in by_type(bundle, "ServiceRequest")]
    assert not any("Characterise the finding" in t for t in texts), texts


def _analysis(**report: Any) -> Analysis:
    findings = [
        Finding(id="f1", organ=Organ.liver, site="segment_VII", size_mm=9,
                evidence=Evidence(start=0, end=13, text="calcification")),
        Finding(id="f2", organ=Organ.spleen, negated=True),
        Finding(id="f3", organ=Organ.liver, historical=True),
        Finding(id="f4", organ=Organ.other, organ_detail="aorta", uncertain=True),
        Finding(id="f5", organ=Organ.liver, site="segment_VII", section=Section.impression,
                characterisation=[Characterisation(label="granuloma", evidence=Evidence(start=40, end=51,
                                                                                        text="granulomatous"))],
                evidence=Evidence(start=30, end=39, text="calcified")),
    ]
    lesions = group_lesions(findings)
    surveillance = [
        Recommendation(kind=RecommendationKind.imaging, what="Ultrasound", interval="P6M", id="us6"),
        Recommendation(kind=RecommendationKind.imaging, what="Ultrasound", interval="P6M", id="us6"),  # once
        Recommendation(kind=RecommendationKind.none, what="Nothing else"),
    ]
    assessments = [
        Assessment(lesion_id="l1", finding_id="f1", action=Action.surveillance, recommendations=surveillance),
        Assessment(lesion_id="l4", finding_id="f4", action=Action.out_of_scope),
    ]
    return Analysis(
        report=Report(id="R-9", text="calcification ...", **report), findings=findings, lesions=lesions,
        assessments=assessments,
        report_recommendations=[ReportRecommendation(modality="US", interval="P1Y", hedged=True),
                                ReportRecommendation(no_followup=True)],
    )


def test_mapping_conventions_on_a_built_analysis() -> None:
    analysis = _analysis(patient_id="P-1", date=dt.date(2026, 2, 3))
    assert [lesion.finding_ids for lesion in analysis.lesions] == [["f1", "f5"], ["f2"], ["f3"], ["f4"]]
    bundle = analysis_to_bundle_dict(analysis)
    check_bundle(bundle)
    observations = [e["resource"] for e in by_type(bundle, "Observation")]
    assert [o["identifier"][0]["value"] for o in observations] == ["R-9/l1", "R-9/l4"]  # negated, history: none
    assert observations[1]["status"] == "preliminary"  # uncertain lesion
    assert "valueQuantity" not in observations[1]  # size not stated: no value
    assert observations[1]["bodySite"]["text"] == "aorta"
    assert observations[0]["effectiveDateTime"] == "2026-02-03"
    assert {"code": {"text": "characterisation"}, "valueCodeableConcept": {"text": "calcified granuloma"}} \
        in observations[0]["component"]
    assert 'Characterisation calcified granuloma: "granulomatous"' in [n["text"] for n in observations[0]["note"]]
    requests = [e["resource"] for e in by_type(bundle, "ServiceRequest")]
    assert len(requests) == 2  # kind "none", a repeated recommendation, "no follow-up" statements: no request
    assert requests[0]["identifier"][0]["value"] == "R-9/l1/us6"
    assert requests[0]["priority"] == "routine"
    assert {"text": "When: in 6 months"} in requests[0]["note"]
    assert "hedged" in requests[1]["note"][-1]["text"]


def test_schema_1_analysis_without_lesions_is_grouped() -> None:
    """An Analysis of schema 1.0 (no lesions, assessments by mention) still gives one Observation per lesion."""
    built = _analysis(patient_id="P-1")
    old = built.model_copy(update={"lesions": [], "assessments": [
        a.model_copy(update={"lesion_id": None}) for a in built.assessments]})
    bundle = analysis_to_bundle_dict(old)
    check_bundle(bundle)
    assert [o["resource"]["identifier"][0]["value"] for o in by_type(bundle, "Observation")] == ["R-9/l1", "R-9/l4"]
    assert len(by_type(bundle, "ServiceRequest")) == 2


def test_without_recommendations_no_careplan_and_odd_patient_ids() -> None:
    analysis = _analysis(patient_id="patient with spaces")
    analysis = analysis.model_copy(update={"assessments": [], "report_recommendations": []})
    bundle = analysis_to_bundle_dict(analysis)
    check_bundle(bundle)
    assert not by_type(bundle, "CarePlan") and not by_type(bundle, "ServiceRequest")
    subject = by_type(bundle, "Observation")[0]["resource"]["subject"]
    assert subject == {"identifier": {"system": "urn:calcitrack:patient", "value": "patient with spaces"}}
    anonymous = analysis_to_bundle_dict(analysis.model_copy(update={"report": Report(id="R", text="x")}))
    assert by_type(anonymous, "Observation")[0]["resource"]["subject"] == {"display": "patient not identified"}


def test_same_analysis_gives_the_same_bundle() -> None:
    analysis = _analysis(patient_id="P-1")
    assert analysis_to_bundle(analysis) == analysis_to_bundle(analysis)


def test_cli_analyze_format_fhir_and_fhir_convert(tmp_path: Any) -> None:
    text = tmp_path / "r.txt"
    text.write_text("Findings: A 6 mm calcification in segment VI of the liver.\n", encoding="utf-8")
    result = run_cli("analyze", str(text), "--format", "fhir")
    assert result.returncode == 0, result.stderr
    bundle = json.loads(result.stdout)
    check_bundle(bundle)
    assert len(by_type(bundle, "Observation")) == 1
    converted = run_cli("fhir", "convert", str(DATA / "diagnosticreport_conclusion_fr.json"))
    assert converted.returncode == 0, converted.stderr
    check_bundle(json.loads(converted.stdout))
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "DiagnosticReport", "status": "final"}', encoding="utf-8")
    failed = run_cli("fhir", "convert", str(bad))
    assert failed.returncode == 2 and "DiagnosticReport.code" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.parametrize("fmt", ["fhir"])
def test_api_analyze_format_fhir(client: TestClient, keys: dict[str, str], fmt: str) -> None:
    body = {"id": "API-F1", "patient_id": "PX-9", "date": "2026-01-10", "modality": "US", "lang": "en",
            "text": "Findings: A 12 mm coarse calcification with surrounding soft tissue in segment VI of the liver."}
    response = client.post(f"/api/v1/analyze?format={fmt}", json=body, headers={"X-API-Key": keys["clinician"]})
    assert response.status_code == 200, response.text
    bundle = response.json()
    check_bundle(bundle)
    assert len(by_type(bundle, "Observation")) == 1
