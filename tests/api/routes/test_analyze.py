"""POST /api/v1/analyze: a report or just its text in, the Analysis out; audited, never stored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import REPORTS, audit_events, auth


def test_analyze_text_returns_analysis_and_audits_without_text(client: TestClient, keys: dict[str, str],
                                                              engine: Engine) -> None:
    response = client.post("/api/v1/analyze", json={"text": REPORTS[0]["text"], "lang": "en"},
                           headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert analysis["report"]["lang"] == "en"
    assert analysis["kb_version"] and analysis["schema_version"]
    livers = [f for f in analysis["findings"] if f["organ"] == "liver" and not f["negated"]]
    assert livers and livers[0]["size_mm"] == 6
    assert analysis["assessments"]
    events = audit_events(engine, "analysis")
    assert [(e.actor, e.event) for e in events] == [("clinician", "analyze")]
    assert events[0].source == "api@testclient"
    assert "calcification" not in (events[0].detail or "")
    assert audit_events(engine, "report") == []  # analysed, not stored


def test_analyze_accepts_a_full_report_with_context_and_policy(client: TestClient, keys: dict[str, str]) -> None:
    body = {**REPORTS[1], "context": {"known_primary_cancer": "colorectal"}, "policy": "standard"}
    response = client.post("/api/v1/analyze", json=body, headers={"Authorization": f"Bearer {keys['service']}"})
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert analysis["report"]["id"] == "API-R2" and analysis["report"]["modality"] == "CT"
    assert analysis["context"]["known_primary_cancer"] == "colorectal"
    assert analysis["policy"] == "standard"


def test_analyze_of_a_registered_patient_is_audited_on_the_patient(client: TestClient, keys: dict[str, str],
                                                                   engine: Engine) -> None:
    assert client.post("/api/v1/ingest", json=REPORTS[0], headers=auth(keys["service"])).status_code == 200
    response = client.post("/api/v1/analyze", json=REPORTS[1], headers=auth(keys["coordinator"]))
    assert response.status_code == 200
    events = [e for e in audit_events(engine, "patient") if e.event == "analyze"]
    assert [(e.actor, e.detail.split(":")[0] if e.detail else None) for e in events] == [("coordinator", "analyze")]


def test_analyze_fhir_format_returns_a_bundle(client: TestClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/analyze?format=fhir", json={"text": "x"}, headers=auth(keys["clinician"]))
    assert response.status_code == 200  # the Bundle's content is tested in tests/interop/test_fhir_out.py
    assert response.json()["resourceType"] == "Bundle"
    assert response.headers["content-type"].startswith("application/fhir+json")
    other = client.post("/api/v1/analyze?format=xml", json={"text": "x"}, headers=auth(keys["clinician"]))
    assert other.status_code == 422 and other.json()["detail"].startswith("format:")
    assert "'json'" in other.json()["detail"] and "'fhir'" in other.json()["detail"]
    assert other.json()["type"].endswith(":validation-error")  # docs/api.md: no 400 "not supported yet"


def test_unknown_policy_is_a_422_naming_the_field(client: TestClient, keys: dict[str, str]) -> None:
    analyze = client.post("/api/v1/analyze", json={"text": "x", "policy": "lenient"}, headers=auth(keys["admin"]))
    assert analyze.status_code == 422 and analyze.json()["detail"].startswith("policy: unknown policy")
    ingest = client.post("/api/v1/ingest?policy=lenient", json=REPORTS[0], headers=auth(keys["admin"]))
    assert ingest.status_code == 422 and ingest.json()["detail"].startswith("policy:")


def test_compare_policies_lists_every_policy_per_lesion_and_is_audited(client: TestClient, keys: dict[str, str],
                                                                        engine: Engine) -> None:
    text = "LIVER: A 4 mm punctate calcification in segment VII, with acoustic shadowing, likely a granuloma."
    response = client.post("/api/v1/analyze/policies", json={"text": text, "lang": "en", "policy": "seed"},
                           headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.text
    comparison = response.json()
    assert comparison["policy"] == "seed" and comparison["schema_version"] and comparison["kb_version"]
    decisions = comparison["lesions"][0]["decisions"]
    assert decisions[0] == {**decisions[0], "policy": "seed", "chosen": True, "action": "surveillance"}
    assert {d["policy"]: d["action"] for d in decisions}["standard"] == "no_followup"
    assert comparison["disagree"] is True
    events = audit_events(engine, "analysis")
    assert [(e.actor, e.event) for e in events] == [("clinician", "analyze")]
    assert "calcification" not in (events[0].detail or "")
    unknown = client.post("/api/v1/analyze/policies", json={"text": text, "policy": "cautious"},
                          headers=auth(keys["clinician"]))
    assert unknown.status_code == 422
