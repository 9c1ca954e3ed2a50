"""Shared fixtures: a small, self-contained knowledge base for testing the engine's mechanics.

Engine and loader tests use this mini KB so that they test *mechanics* (resolution, merging, errors)
independently of the clinical content; the real KB is tested through its golden cases and the CLI.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from calcitrack.kb.loader import DATA_DIR, kb_dir
from calcitrack.settings import get_settings
from tests.reliability import Recorder

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test reads the environment afresh (calcitrack.settings caches it per process); a test that
    changes it with ``monkeypatch`` calls ``get_settings.cache_clear()`` after the change."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _bi(text: str) -> dict[str, str]:
    return {"en": text, "fr": f"{text} (fr)"}


def mini_kb_files() -> dict[str, Any]:
    """The mini KB as YAML-ready data; tests mutate a copy to provoke errors."""
    statement = {**_bi("statement"), "sources": ["S1"]}
    condition = {
        "organs": ["liver"],
        "names": {"en": ["granuloma"], "fr": ["granulome"]},
        "category": "benign",
        "summary": statement,
        "imaging": [statement],
    }
    return {
        "sources.yaml": {
            "kb_version": "test-1",
            "sources": [
                {"id": "S1", "short": "Source one", "title": "Source one", "grade": "R"},
                {"id": "seed.txt", "short": "Seed", "title": "Seed article", "grade": "SEED"},
            ],
        },
        "conditions.yaml": {
            "conditions": [
                {"id": "granuloma", **condition},
                {"id": "metastasis", **condition, "names": {"en": ["metastasis"], "fr": ["métastase"]}},
                {"id": "stones", **condition, "names": {"en": ["stones"], "fr": ["calculs"]}},
            ]
        },
        "rules.yaml": {
            "rules": [
                {
                    "id": "R_small",
                    "title": _bi("small calcification"),
                    "policies": ["standard"],
                    "when": [
                        {"field": "finding.organ", "op": "eq", "value": "liver"},
                        {"field": "finding.size_mm", "op": "le", "value": 10},
                        {"field": "context.known_cancer", "op": "not_true"},
                        {"field": "finding.interval_change", "op": "not_in", "value": ["new", "increased"]},
                    ],
                    "action": "no_followup",
                    "differential": [{"condition": "granuloma", "tier": "likely", "weight": 2, "reason": _bi("small")}],
                    "recommendations": [{"id": "nothing", "kind": "none", "what": _bi("no follow-up")}],
                    "sources": ["S1"],
                    "strength": "moderate",
                },
                {
                    "id": "R_small_seed",
                    "title": _bi("small calcification, seed"),
                    "policies": ["seed"],
                    "when": [
                        {"field": "finding.organ", "op": "eq", "value": "liver"},
                        {"field": "finding.size_mm", "op": "le", "value": 10},
                    ],
                    "action": "surveillance",
                    "differential": [{"condition": "granuloma", "tier": "likely", "reason": _bi("small")}],
                    "recommendations": [
                        {"id": "us", "kind": "imaging", "what": _bi("ultrasound"),
                         "interval": "P3M..P6M", "duration": "P2Y..P3Y"}
                    ],
                    "sources": ["seed.txt"],
                    "strength": "weak",
                },
                {
                    "id": "R_cancer",
                    "title": _bi("known cancer"),
                    "when": [
                        {"field": "finding.organ", "op": "eq", "value": "liver"},
                        {"field": "context.known_cancer", "op": "is_true"},
                        {"any": [
                            {"field": "finding.interval_change", "op": "in", "value": ["new", "increased"]},
                            {"field": "finding.size_mm", "op": "gt", "value": 10},
                        ]},
                    ],
                    "action": "urgent",
                    "differential": [
                        {"condition": "metastasis", "tier": "likely", "weight": 3, "reason": _bi("cancer")},
                        {"condition": "granuloma", "tier": "possible", "reason": _bi("common")},
                    ],
                    "recommendations": [{"id": "mri", "kind": "imaging", "what": _bi("MRI")}],
                    "sources": ["S1"],
                    "strength": "strong",
                },
                {
                    "id": "R_growth",
                    "title": _bi("growth"),
                    "when": [{"field": "finding.interval_change", "op": "eq", "value": "increased"}],
                    "action": "workup",
                    "differential": [{"condition": "metastasis", "tier": "must_exclude", "reason": _bi("growth")}],
                    "recommendations": [{"id": "ct", "kind": "imaging", "what": _bi("CT")},
                                        {"id": "mri", "kind": "imaging", "what": _bi("MRI")}],
                    "sources": ["S1"],
                    "strength": "moderate",
                },
                {
                    "id": "R_ducts",
                    "title": _bi("ducts"),
                    "when": [{"field": "finding.organ", "op": "eq", "value": "biliary"}],
                    "action": "workup",
                    "differential": [{"condition": "stones", "tier": "likely", "reason": _bi("ducts")}],
                    "sources": ["S1"],
                    "strength": "strong",
                },
                {
                    "id": "R_other",
                    "title": _bi("other organ"),
                    "when": [{"field": "finding.organ", "op": "eq", "value": "other"}],
                    "action": "out_of_scope",
                    "sources": ["S1"],
                    "strength": "strong",
                },
                {
                    "id": "R_fallback",
                    "title": _bi("anything else"),
                    "fallback": True,
                    "action": "workup",
                    "sources": ["S1"],
                    "strength": "weak",
                },
            ]
        },
        "policies.yaml": {
            "default": "standard",
            "policies": [
                {"id": "standard", "name": _bi("Standard"), "description": _bi("literature"), "sources": ["S1"]},
                {"id": "seed", "name": _bi("Seed"), "description": _bi("seed articles"), "sources": ["seed.txt"]},
            ],
        },
        "questions.yaml": {
            "questions": [
                {"id": "Q1", "text": _bi("Known cancer?"),
                 "probes": [{"field": "context.known_primary_cancer", "value": "colorectal"}], "sources": ["S1"]},
                {"id": "Q2", "text": _bi("Is it larger than before?"),
                 "probes": [{"field": "finding.interval_change", "value": "increased"}], "sources": ["S1"]},
                {"id": "Q3", "text": _bi("Fever?"),
                 "probes": [{"field": "context.fever", "value": True}], "sources": ["S1"]},
            ]
        },
        "claims.yaml": {
            "claims": [
                {"id": "seed-1", "seed": "seed.txt", "claim": _bi("metastases are the most common cause"),
                 "verdict": "wrong", "evidence": _bi("granulomas are"), "sources": ["S1"],
                 "conditions": ["granuloma"]}
            ]
        },
        "texts.en.yaml": {**_FOLLOW_UP_TEXTS["en"], "action.no_followup": "No follow-up"},
        "texts.fr.yaml": {**_FOLLOW_UP_TEXTS["fr"], "action.no_followup": "Pas de suivi"},
    }


_FOLLOW_UP_TEXTS: dict[str, dict[str, str]] = {
    lang: {key: value
           for key, value in yaml.safe_load((DATA_DIR / f"texts.{lang}.yaml").read_text(encoding="utf-8")).items()
           if key.startswith(("followup.", "action."))}
    for lang in ("en", "fr")
}
"""The follow-up texts of the packaged KB (app/follow_up_plan.py reads them from the configured KB)."""


def write_kb(directory: Path, files: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


@pytest.fixture
def mini_kb_dir(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb", mini_kb_files())


@pytest.fixture
def mini_kb(mini_kb_dir: Path):  # type: ignore[no-untyped-def]
    from calcitrack.kb import load_kb

    return load_kb(mini_kb_dir)


@pytest.fixture
def keys(engine):  # type: ignore[no-untyped-def]
    """One API user and key per role (``keys["clinician"]`` ...; user names are the role names), in the
    registry of the ``engine`` fixture that the requesting test's folder defines (api, interop, web)."""
    from calcitrack.app.auth import ROLES, add_user, create_key
    from calcitrack.registry.db import session_scope

    created: dict[str, str] = {}
    with session_scope(engine) as session:
        for role in ROLES:
            add_user(session, role, role, actor="test", source="test")
            created[role] = create_key(session, role, actor="test", source="test")
    return created


@pytest.fixture(scope="session")
def private_postgres_url() -> Iterator[str | None]:
    """A database of this test session's own on the test server, dropped at the end of the session.

    Why: several suites (and developers) may share ``CALCITRACK_TEST_POSTGRES_URL`` at the same time;
    resetting a shared database would wipe their data mid-test and theirs ours.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = os.environ.get("CALCITRACK_TEST_POSTGRES_URL")
    if not url:
        yield None
        return
    parsed = make_url(url)
    name = f"{parsed.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now, for a server the test starts (API, MLLP, browser target)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def empty_postgres_url(private_url: str | None) -> str:
    """The private PostgreSQL database with an empty schema; skipped locally without a server, but a
    failure in CI (``CI=true``), so that CI can never pass by silently skipping the PostgreSQL half."""
    from sqlalchemy import create_engine, text

    if not private_url:
        if os.environ.get("CI") == "true":
            pytest.fail("CALCITRACK_TEST_POSTGRES_URL is not set in CI: source scripts/services.sh")
        pytest.skip("CALCITRACK_TEST_POSTGRES_URL not set (run scripts/services.sh)")
    engine = create_engine(private_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return private_url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, private_postgres_url: str | None) -> str:
    """An empty database URL (not yet migrated): the registry-backed suites run on SQLite and PostgreSQL.

    A folder narrows it by defining its own ``db_url`` (interop: SQLite only)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return empty_postgres_url(private_postgres_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database at ``db_url`` (the web suite replaces it with a seeded one)."""
    from calcitrack.registry.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so that fixtures can see whether the test passed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Rows for ``docs/reliability.md`` (see :mod:`tests.reliability`); written with the test's outcome."""
    recorder = Recorder()
    yield recorder
    report = getattr(request.node, "rep_call", None)
    passed = bool(report and report.passed)
    failure = None
    if report is not None and not passed:
        crash = getattr(report.longrepr, "reprcrash", None)
        failure = (crash.message if crash else str(report.longrepr)).strip().splitlines()[0]
    recorder.flush(request.node.nodeid, passed, failure)


@pytest.fixture
def broken_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped KB whose rules file is not YAML; ``CALCITRACK_KB_DIR`` points to it."""
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir(), copy)
    (copy / "rules.yaml").write_text("rules: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("CALCITRACK_KB_DIR", str(copy))
    get_settings.cache_clear()
    return copy
