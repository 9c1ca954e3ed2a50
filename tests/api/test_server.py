"""``calcitrack serve`` as a real process on 127.0.0.1: every endpoint over HTTP, then its log checked.

No mocks: a migrated SQLite file, keys created the way ``calcitrack keys create`` creates them, the
uvicorn server the command starts, and httpx over TCP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.helpers import REPORTS
from tests.api.server_process import Server, prepare_database

from calcitrack.app.auth import ROLES

LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(base URL, key per role, server log file) of a running ``calcitrack serve``."""
    directory = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{directory / 'serve.db'}"
    keys = prepare_database(url, ROLES)
    process = Server(url, directory / "server.log", env={"CALCITRACK_MAX_BODY_BYTES": str(LIMIT)})
    try:
        process.start(timeout=120)
        yield process.base, keys, process.log
    finally:
        process.stop()


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
