"""API fixtures: a migrated temporary database (SQLite, and PostgreSQL when available), one user and key
per role, and a TestClient on an app bound to that database.

The database parametrisation follows tests/registry/conftest.py: the postgres case uses
``CALCITRACK_TEST_POSTGRES_URL`` and is skipped locally without it, but fails in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.registry.db import make_engine, resolve_url, upgrade


def _own_database(url: str) -> str:
    """A database of the API suite's own on the shared test server: the registry suite drops the schema
    of ``CALCITRACK_TEST_POSTGRES_URL``'s database, and the two suites may run at the same time."""
    parsed = make_url(url)
    name = f"{parsed.database}_api"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'api.db'}"
    url = os.environ.get("CALCITRACK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CALCITRACK_TEST_POSTGRES_URL is not set in CI: source scripts/services.sh")
        pytest.skip("CALCITRACK_TEST_POSTGRES_URL not set (run scripts/services.sh)")
    own = _own_database(resolve_url(url))
    _reset_postgres(own)
    return own


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
