"""POST /api/v1/ingest: one report or a list, stored as `calcitrack ingest` stores them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import REPORTS, audit_events, auth, ingest_reports


def test_ingest_list_then_single_unchanged(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    result = ingest_reports(client, keys["service"])
    assert result["stored"] == 2 and result["errors"] == []
    assert [r["report_id"] for r in result["reports"]] == ["API-R1", "API-R2"]
    again = client.post("/api/v1/ingest", json=REPORTS[0], headers=auth(keys["service"]))
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    ingested = [e for e in audit_events(engine, "report") if e.event == "ingested"]
    assert len(ingested) == 2
    assert all(e.actor == "service" and e.source == "api@testclient" for e in ingested)


def test_ingest_reports_bad_items_and_refuses_when_all_fail(client: TestClient, keys: dict[str, str]) -> None:
    changed = {**REPORTS[0], "text": REPORTS[0]["text"] + " Addendum."}
    ingest_reports(client, keys["service"])
    partial = client.post("/api/v1/ingest", json=[changed, {**REPORTS[1], "id": "API-R3"}],
                          headers=auth(keys["service"]))
    assert partial.status_code == 200
    assert partial.json()["stored"] == 1
    assert partial.json()["errors"][0].startswith("item 1 (report API-R1)")
    refused = client.post("/api/v1/ingest", json=changed, headers=auth(keys["service"]))
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("ingest-refused") and len(refused.json()["errors"]) == 1
    amended = client.post("/api/v1/ingest?amend=true", json=changed, headers=auth(keys["admin"]))
    assert amended.status_code == 200 and amended.json()["amended"] == 1


def test_ingest_validation_names_the_field(client: TestClient, keys: dict[str, str]) -> None:
    missing = {k: v for k, v in REPORTS[0].items() if k != "text"}
    response = client.post("/api/v1/ingest", json=missing, headers=auth(keys["service"]))
    assert response.status_code == 422
    assert response.json()["detail"] == "text: field required"
    in_list = client.post("/api/v1/ingest", json=[REPORTS[0], missing], headers=auth(keys["service"]))
    assert in_list.status_code == 422 and in_list.json()["detail"] == "[1].text: field required"
    modality = client.post("/api/v1/ingest", json={**REPORTS[0], "modality": "PET"}, headers=auth(keys["service"]))
    assert modality.status_code == 422 and modality.json()["detail"].startswith("modality:")
    empty = client.post("/api/v1/ingest", json=[], headers=auth(keys["service"]))
    assert empty.status_code == 422
