"""The application factory: OpenAPI document and docs, every router mounted with its full path."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_and_docs_are_open(client: TestClient) -> None:
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/v1/analyze", "/api/v1/ingest", "/api/v1/worklist", "/api/v1/patients/{patient_id}/timeline",
                 "/api/v1/follow-ups/{follow_up_id}/status", "/api/v1/kb/conditions", "/api/v1/kb/rules",
                 "/api/v1/ask", "/health", "/ready"):
        assert path in paths, path
    schemes = spec.json()["components"]["securitySchemes"]
    assert {"APIKeyHeader", "HTTPBearer"} <= set(schemes)
    assert client.get("/docs").status_code == 200
