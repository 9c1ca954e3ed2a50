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
    only_bad = client.post("/api/v1/ingest", json=[missing], headers=auth(keys["service"]))
    assert only_bad.status_code == 422 and only_bad.json()["type"].endswith("ingest-refused")
    assert only_bad.json()["detail"] == "item 1 (report API-R1): text: field required"
    modality = client.post("/api/v1/ingest", json={**REPORTS[0], "modality": "PET"}, headers=auth(keys["service"]))
    assert modality.status_code == 422 and modality.json()["detail"].startswith("modality:")
    empty = client.post("/api/v1/ingest", json=[], headers=auth(keys["service"]))
    assert empty.status_code == 422


def test_one_invalid_item_does_not_reject_the_list(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    """The issue: one bad item refused the whole list, while the docs said the good items are stored.
    Each item now has its result, in request order, and only the bad ones are rejected."""
    ingest_reports(client, keys["service"])  # API-R1 and API-R2 stored
    body = [
        {**REPORTS[1], "id": "API-R3"},
        {k: v for k, v in REPORTS[0].items() if k != "patient_id"} | {"id": "API-R4"},
        REPORTS[0],
        {**REPORTS[0], "id": "API-R5", "modality": "PET"},
        7,
        {**REPORTS[0], "text": REPORTS[0]["text"] + " Addendum."},
    ]
    response = client.post("/api/v1/ingest", json=body, headers=auth(keys["service"]))
    assert response.status_code == 200, response.text
    data = response.json()
    assert [(i["item"], i["report_id"], i["status"]) for i in data["items"]] == [
        (1, "API-R3", "stored"), (2, "API-R4", "rejected"), (3, "API-R1", "unchanged"),
        (4, "API-R5", "rejected"), (5, None, "rejected"), (6, "API-R1", "rejected"),
    ]
    problems = [i["problem"] for i in data["items"]]
    assert problems[0] is None and problems[2] is None
    assert problems[1] == "item 2 (report API-R4): patient_id: field required"
    assert problems[3].startswith("item 4 (report API-R5): modality: ")
    assert problems[4] == "item 5: expected a report object"
    assert problems[5].startswith("item 6 (report API-R1): ") and "amend" in problems[5]
    assert (data["stored"], data["unchanged"], data["amended"], data["rejected"]) == (1, 1, 0, 4)
    assert data["errors"] == [p for p in problems if p is not None]
    assert data["items"][0]["version"] == 1 and data["items"][1]["version"] is None
    assert [r["report_id"] for r in data["reports"]] == ["API-R3", "API-R1"]
    ingested = [e for e in audit_events(engine, "report") if e.event == "ingested"]
    assert len(ingested) == 3  # API-R1, API-R2 then API-R3: nothing of the rejected items


def test_the_openapi_body_is_one_report_or_a_list(client: TestClient) -> None:
    body = client.get("/openapi.json").json()["paths"]["/api/v1/ingest"]["post"]["requestBody"]
    one, many = body["content"]["application/json"]["schema"]["anyOf"]
    assert set(one["required"]) == {"id", "patient_id", "text"} and many["items"] == one
