"""Liveness and readiness probes: open, and never revealing the database URL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings


def test_health_and_ready_are_open(client: TestClient) -> None:
    for path in ("/health", "/api/v1/health"):
        response = client.get(path)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    for path in ("/ready", "/api/v1/ready"):
        ready = client.get(path)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "kb": "ok"}
        assert ready.json()["kb_version"]


def test_ready_is_503_problem_when_database_is_not_migrated(tmp_path: Path, engine: Engine) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", warmup=False))
    with TestClient(app) as fresh:
        response = fresh.get("/ready")
        assert fresh.get("/health").status_code == 200  # alive, just not ready
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["checks"]["database"] == "unavailable"
    assert "sqlite" not in response.text  # never the database URL
