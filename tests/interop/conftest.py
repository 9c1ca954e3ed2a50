"""Interop fixtures: a migrated SQLite registry, one API key per role, a TestClient on the real app.

Why SQLite only: the adapters use the registry's public functions, whose PostgreSQL behaviour the
registry and API suites already cover; here the point is the wire formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'interop.db'}"



@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=db_url, warmup=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
