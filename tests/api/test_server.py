"""``calcitrack serve`` as a real process on 127.0.0.1: every endpoint over HTTP, then its log checked.

No mocks: a migrated SQLite file, keys created the way ``calcitrack keys create`` creates them, the
uvicorn server the command starts, and httpx over TCP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.helpers import REPORTS

from calcitrack.api.auth_store import ROLES, add_user, create_key
from calcitrack.registry.db import make_engine, session_scope, upgrade

LIMIT = 256 * 1024


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(base URL, key per role, server log file) of a running ``calcitrack serve``."""
    directory = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{directory / 'serve.db'}"
    engine = make_engine(url)
    upgrade(engine)
    keys = {}
    with session_scope(engine) as session:
        for role in ROLES:
            add_user(session, role, role, actor="test", source="test")
            keys[role] = create_key(session, role, actor="test", source="test")
    engine.dispose()
    port = free_port()
    log_path = directory / "server.log"
    env = {**os.environ, "CALCITRACK_MAX_BODY_BYTES": str(LIMIT), "CALCITRACK_API_WARMUP": "true"}
    env.pop("CALCITRACK_DATABASE_URL", None)
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "calcitrack", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--database", url],
            stdout=log_file, stderr=subprocess.STDOUT, env=env,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("server did not start within 120 s")
            time.sleep(0.2)
        try:
            yield base, keys, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_real_server_end_to_end(server: tuple[str, dict[str, str], Path]) -> None:
    base, keys, log_path = server
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/ready").json()["status"] == "ready"
        assert "/api/v1/analyze" in http.get("/openapi.json").json()["paths"]
        assert http.get("/docs").status_code == 200
        assert http.get("/api/v1/kb/conditions").json()["count"] > 0
        assert http.get("/api/v1/kb/rules").status_code == 200
        assert http.post("/api/v1/ask", json={"question": "What is a liver calcification?"}).status_code == 200

        unauthenticated = http.get("/api/v1/worklist")
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["content-type"] == "application/problem+json"
        assert http.get("/api/v1/worklist", headers={"X-API-Key": keys["service"]}).status_code == 403

        ingest = http.post("/api/v1/ingest", json=REPORTS, headers={"X-API-Key": keys["service"]})
        assert ingest.status_code == 200 and ingest.json()["stored"] == 2, ingest.text
        analysis = http.post("/api/v1/analyze", json={"text": REPORTS[0]["text"]},
                             headers={"Authorization": f"Bearer {keys['clinician']}"})
        assert analysis.status_code == 200 and analysis.json()["findings"]
        rows = http.get("/api/v1/worklist", headers={"X-API-Key": keys["clinician"]}).json()["items"]
        assert rows
        timeline = http.get(f"/api/v1/patients/{REPORTS[0]['patient_id']}/timeline",
                            headers={"X-API-Key": keys["clinician"]})
        assert timeline.status_code == 200
        status = http.post(f"/api/v1/follow-ups/{rows[0]['follow_up_id']}/status", json={"status": "notified"},
                           headers={"X-API-Key": keys["coordinator"]})
        assert status.status_code == 200 and status.json()["status"] == "notified"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold on the stream itself
            yield b'{"text": "'
            for _ in range(LIMIT // 8192 + 4):
                yield b"x" * 8192
            yield b'"}'

        too_big = http.post("/api/v1/analyze", content=chunks(),
                            headers={"X-API-Key": keys["clinician"], "content-type": "application/json"})
        assert too_big.status_code == 413
        assert too_big.json()["status"] == 413
        assert http.get("/health").status_code == 200  # still serving

    time.sleep(0.3)  # let the last access-log lines reach the file
    output = log_path.read_text()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(r.get("event") == "request" and r.get("status") == 413 for r in records)
    for fragment in [REPORTS[0]["patient_id"], REPORTS[0]["text"][:40], "segment VI", *keys.values()]:
        assert fragment not in output
