"""POST /api/v1/follow-ups/{id}/status: transitions checked by the registry, mapped to HTTP."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import audit_events, auth, ingest_reports


def test_follow_up_status_change_by_coordinator(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    ingest_reports(client, keys["service"])
    rows = client.get("/api/v1/worklist", headers=auth(keys["clinician"])).json()["items"]
    follow_up = rows[0]["follow_up_id"]
    url = f"/api/v1/follow-ups/{follow_up}/status"
    response = client.post(url, json={"status": "scheduled", "reason": "booked"}, headers=auth(keys["coordinator"]))
    assert response.status_code == 200, response.text
    assert response.json()["previous_status"] == rows[0]["stored_status"] and response.json()["status"] == "scheduled"
    event = [e for e in audit_events(engine, "follow_up") if e.event == "status"][-1]
    assert (event.actor, event.new_value, event.source) == ("coordinator", "scheduled", "api@testclient")
    no_reason = client.post(url, json={"status": "cancelled"}, headers=auth(keys["coordinator"]))
    assert no_reason.status_code == 422 and no_reason.json()["detail"].startswith("reason:")
    unknown = client.post(url, json={"status": "lost"}, headers=auth(keys["coordinator"]))
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("status:")
    done = client.post(url, json={"status": "done"}, headers=auth(keys["admin"]))
    assert done.status_code == 200 and done.json()["completed_on"] == dt.date.today().isoformat()
    reopen = client.post(url, json={"status": "pending"}, headers=auth(keys["coordinator"]))
    assert reopen.status_code == 409 and reopen.json()["type"].endswith("transition-not-allowed")
    missing = client.post("/api/v1/follow-ups/999999/status", json={"status": "done"},
                          headers=auth(keys["coordinator"]))
    assert missing.status_code == 404
