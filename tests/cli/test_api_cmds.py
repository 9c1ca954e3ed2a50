"""``calcitrack serve|users|keys|audit`` as a user runs them: real processes on a temporary database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from tests.api.helpers import REPORTS

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.app.auth import authenticate
from calcitrack.registry.db import head_revision, make_engine, session_scope


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CALCITRACK_POLICY", "CALCITRACK_DATABASE_URL")}
    env["COLUMNS"] = "200"  # wide enough that Rich tables do not fold names across lines
    return subprocess.run([sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def ok(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert f"-> {head_revision()}" in ok("db", "upgrade", "--database", url)
    engine = make_engine(url)
    try:  # the API revision (0100) is part of the one chain: its tables exist at the head
        assert {"api_users", "api_keys"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return url


def test_users_and_keys_lifecycle(db: str) -> None:
    assert "added with role clinician" in ok("users", "add", "alice", "--role", "clinician", "--database", db)
    duplicate = run("users", "add", "alice", "--role", "admin", "--database", db)
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    bad_role = run("users", "add", "bob", "--role", "boss", "--database", db)
    assert bad_role.returncode == 2 and "unknown role" in bad_role.stderr

    created = run("keys", "create", "alice", "--database", db)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("ctk_") and "\n" not in key  # the key alone on stdout, once
    assert "cannot be shown again" in created.stderr

    listing = json.loads(ok("users", "list", "--format", "json", "--database", db))
    assert [(u["name"], u["role"], u["revoked"]) for u in listing] == [("alice", "clinician", False)]
    prefix = listing[0]["key_prefixes"][0]
    assert key.startswith(f"ctk_{prefix}_")
    text_listing = ok("users", "list", "--database", db)
    assert "alice" in text_listing and key not in text_listing

    engine = make_engine(db)
    with engine.connect() as connection:
        stored = " ".join(str(r) for r in connection.execute(text("SELECT * FROM api_keys")))
    assert key.split("_", 2)[2] not in stored
    with session_scope(engine) as session:
        assert authenticate(session, key) is not None

    assert "revoked" in ok("users", "revoke", "alice", "--database", db)
    with session_scope(engine) as session:
        assert authenticate(session, key) is None
    refused = run("keys", "create", "alice", "--database", db)
    assert refused.returncode == 2 and "revoked" in refused.stderr
    assert json.loads(ok("users", "list", "--format", "json", "--database", db))[0]["revoked"] is True
    engine.dispose()


def test_keys_revoke_by_prefix(db: str) -> None:
    ok("users", "add", "feed", "--role", "service", "--database", db)
    key = ok("keys", "create", "feed", "--database", db).strip()
    prefix = key.split("_")[1]
    assert "revoked" in ok("keys", "revoke", prefix, "--database", db)
    engine = make_engine(db)
    with session_scope(engine) as session:
        assert authenticate(session, key) is None
    engine.dispose()
    assert run("keys", "revoke", "000000000000", "--database", db).returncode == 2


def test_audit_lists_who_did_what_to_a_patient(db: str) -> None:
    ok("users", "add", "ris-feed", "--role", "service", "--database", db)
    ok("users", "add", "dr.martin", "--role", "clinician", "--database", db)
    feed = ok("keys", "create", "ris-feed", "--database", db).strip()
    doctor = ok("keys", "create", "dr.martin", "--database", db).strip()
    app = create_app(Settings(database_url=db, warmup=False))
    with TestClient(app) as client:
        assert client.post("/api/v1/ingest", json=REPORTS, headers={"X-API-Key": feed}).status_code == 200
        patient = REPORTS[0]["patient_id"]
        assert client.get(f"/api/v1/patients/{patient}/timeline", headers={"X-API-Key": doctor}).status_code == 200

    events = json.loads(ok("audit", "--patient", patient, "--format", "json", "--database", db))
    summary = {(e["actor"], e["entity"], e["event"]) for e in events}
    assert ("ris-feed", "report", "ingested") in summary
    assert ("ris-feed", "follow_up", "created") in summary
    assert ("dr.martin", "patient", "read") in summary
    assert all(e["source"] == "api@testclient" for e in events if e["actor"] in ("ris-feed", "dr.martin"))
    # Reading the trail is recorded too.
    again = json.loads(ok("audit", "--patient", patient, "--format", "json", "--database", db))
    assert any(e["detail"] == "audit trail" for e in again)
    assert "dr.martin" in ok("audit", "--patient", patient, "--database", db)
    missing = run("audit", "--patient", "NOBODY", "--database", db)
    assert missing.returncode == 2 and "no patient" in missing.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run("serve", "--port", "1", "--database", f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 2
    assert "calcitrack db upgrade" in result.stderr


def test_serve_refuses_bad_settings_with_one_line(db: str) -> None:
    level = run("serve", "--log-level", "loud", "--database", db)
    assert level.returncode == 2 and "--log-level" in level.stderr and "Traceback" not in level.stderr
    env = {**os.environ, "CALCITRACK_MAX_BODY_BYTES": "lots", "COLUMNS": "200"}
    env.pop("CALCITRACK_DATABASE_URL", None)
    limit = subprocess.run([sys.executable, "-m", "calcitrack", "serve", "--database", db], capture_output=True,
                           text=True, env=env, timeout=300)
    assert limit.returncode == 2 and "CALCITRACK_MAX_BODY_BYTES" in limit.stderr
