"""API fixtures: a migrated temporary database (SQLite, and PostgreSQL when available), one user and key
per role, and a TestClient on an app bound to that database.

The database fixtures (``db_url``, ``engine``) come from tests/conftest.py: the postgres case uses
``CALCITRACK_TEST_POSTGRES_URL`` and is skipped locally without it, but fails in CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, max_body_bytes=64 * 1024, warmup=False)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
