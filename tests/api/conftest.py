"""API fixtures: a migrated temporary database (SQLite, and PostgreSQL when available), one user and key
per role, and a TestClient on an app bound to that database.

The database parametrisation follows tests/registry/conftest.py: the postgres case uses
``CALCITRACK_TEST_POSTGRES_URL`` and is skipped locally without it, but fails in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import empty_postgres_url

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.registry.db import make_engine, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, private_postgres_url: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'api.db'}"
    return empty_postgres_url(private_postgres_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()



@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, max_body_bytes=64 * 1024, warmup=False)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
