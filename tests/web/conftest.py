"""Web UI fixtures: a migrated SQLite registry with the bundled demo reports, one user per role, and a
TestClient whose ``login(role)`` signs in through the login form like a browser would."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.app.follow_ups import grace_days
from calcitrack.app.ingest import ingest_items, read_items
from calcitrack.kb import get_kb
from calcitrack.registry import followups
from calcitrack.registry.db import make_engine, session_scope, upgrade

EXAMPLES = Path(__file__).parents[2] / "src" / "calcitrack" / "examples" / "reports.jsonl"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(eng)
    ingest_items(eng, read_items(str(EXAMPLES)), actor="test", source="test")
    with session_scope(eng) as session:
        followups.sweep(session, dt.date.today(), actor="test", source="test", grace_days=grace_days(get_kb()))
    yield eng
    eng.dispose()



@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", warmup=False))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient, keys: dict[str, str]) -> Callable[[str], TestClient]:
    def do(role: str) -> TestClient:
        token = csrf_of(client.get("/ui/login").text)
        response = client.post("/ui/login", data={"username": role, "key": keys[role], "csrf": token,
                                                  "next": "/ui/analyse"}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    return do
