"""GET /api/v1/patients/{id}/timeline: the patient's story (no report text), audited as a read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import audit_events, auth, ingest_reports


def test_timeline_and_unknown_patient(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    ingest_reports(client, keys["service"])
    response = client.get("/api/v1/patients/PX-API-7731/timeline", headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.text
    story = response.json()
    assert [r["report_id"] for r in story["reports"]] == ["API-R1", "API-R2"]
    assert "text" not in story["reports"][0]
    assert any(e.detail == "timeline (role clinician)" for e in audit_events(engine, "patient"))
    missing = client.get("/api/v1/patients/NOBODY/timeline", headers=auth(keys["admin"]))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
