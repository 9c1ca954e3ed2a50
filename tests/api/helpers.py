"""Shared test data and helpers of the API suite (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from calcitrack.app.auth import revoke_user
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope

REPORTS = [
    {
        "id": "API-R1", "patient_id": "PX-API-7731", "date": "2025-01-10", "modality": "US", "lang": "en",
        "text": "ABDOMINAL ULTRASOUND\nFindings: A 6 mm coarse calcification with acoustic shadowing is seen in "
                "segment VI of the liver. No biliary dilatation.\nImpression: 6 mm calcification in segment VI.",
    },
    {
        "id": "API-R2", "patient_id": "PX-API-7731", "date": "2026-01-20", "modality": "CT", "lang": "en",
        "text": "CT ABDOMEN\nFindings: There is an 11 mm coarse calcification in segment VI of the liver with "
                "surrounding enhancing soft tissue.\nImpression: 11 mm calcification in segment VI.",
    },
]


def revoke(engine: Engine, name: str) -> None:
    with session_scope(engine) as session:
        revoke_user(session, name, actor="test", source="test")


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def audit_events(engine: Engine, entity: str | None = None) -> list[t.AuditEvent]:
    """The audit trail, oldest first (optionally of one entity type)."""
    with session_scope(engine) as session:
        query = select(t.AuditEvent).order_by(t.AuditEvent.id)
        if entity:
            query = query.where(t.AuditEvent.entity == entity)
        return list(session.scalars(query))


def ingest_reports(client: TestClient, key: str) -> dict[str, Any]:
    """Ingest :data:`REPORTS` through the API (asserting success); returns the response JSON."""
    response = client.post("/api/v1/ingest", json=REPORTS, headers=auth(key))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem document with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status and body["type"].startswith("urn:calcitrack:problem:")
    assert body["instance"] == f"urn:uuid:{response.headers['x-request-id']}"
    return body
