"""GET /api/v1/worklist: filters, and one audit read per patient shown."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import audit_events, auth, ingest_reports


def test_worklist_filters_and_audits_each_patient(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    ingest_reports(client, keys["service"])
    response = client.get("/api/v1/worklist", headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"]) >= 1
    assert {row["patient_id"] for row in body["items"]} == {"PX-API-7731"}
    assert "text" not in body["items"][0]
    # the responsible clinician and the date of the exam whose report made the recommendation (issue 17)
    dates = {"API-R1": "2025-01-10", "API-R2": "2026-01-20"}
    assert all(row["exam_date"] == dates[row["report_id"]] and "responsible" in row for row in body["items"])
    reads = [e for e in audit_events(engine, "patient") if e.event == "read"]
    assert [(e.actor, e.detail) for e in reads] == [("clinician", "worklist (role clinician)")]
    due = body["items"][0]["due_date"]
    before = client.get("/api/v1/worklist", params={"due_before": due}, headers=auth(keys["coordinator"]))
    assert before.status_code == 200 and all(row["due_date"] < due for row in before.json()["items"])
    closed = client.get("/api/v1/worklist", params={"status": ["done", "cancelled"]}, headers=auth(keys["admin"]))
    assert all(row["status"] in ("done", "cancelled") for row in closed.json()["items"])
    bad = client.get("/api/v1/worklist", params={"status": "lost"}, headers=auth(keys["clinician"]))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("status:")
    bad_date = client.get("/api/v1/worklist", params={"due_before": "soon"}, headers=auth(keys["clinician"]))
    assert bad_date.status_code == 422 and bad_date.json()["detail"].startswith("due_before:")
