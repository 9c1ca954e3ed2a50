"""The JSON logs: one object per line, and never report text, patient ids or keys (full scenario)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import REPORTS, auth

from calcitrack.api.logging import JsonFormatter, log_config


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log record of the process, formatted by the API's JSON formatter (root and named loggers)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    # The server's loggers at DEBUG; the root logger (third-party libraries) at its own level, as in
    # production. The test client's own httpx log is the client's, not the server's: left out.
    names = ["calcitrack", "uvicorn", "fastapi"]
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    for name in names:
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(saved[name])


def _secrets(keys: dict[str, str]) -> list[str]:
    fragments = [r["patient_id"] for r in REPORTS] + [r["id"] for r in REPORTS]
    for report in REPORTS:  # every sentence of every report text
        fragments += [s.strip() for s in report["text"].replace("\n", ". ").split(". ") if len(s.strip()) > 12]
    for key in keys.values():
        fragments += [key, key.split("_", 2)[2]]
    return fragments


def test_full_scenario_leaks_nothing_into_logs(client: TestClient, keys: dict[str, str], engine: Engine,
                                               captured: io.StringIO) -> None:
    ingest = client.post("/api/v1/ingest", json=REPORTS, headers=auth(keys["service"]))
    assert ingest.status_code == 200
    worklist = client.get("/api/v1/worklist", headers=auth(keys["clinician"]))
    follow_up = worklist.json()["items"][0]["follow_up_id"]
    assert client.get(f"/api/v1/patients/{REPORTS[0]['patient_id']}/timeline",
                      headers={"Authorization": f"Bearer {keys['clinician']}"}).status_code == 200
    assert client.post("/api/v1/analyze", json=REPORTS[1], headers=auth(keys["clinician"])).status_code == 200
    assert client.post(f"/api/v1/follow-ups/{follow_up}/status", json={"status": "notified", "reason": "called"},
                       headers=auth(keys["coordinator"])).status_code == 200
    # Errors too: a 403, a 401 with a forged key, a 404 on an unknown patient, a 422 quoting the input.
    assert client.get("/api/v1/worklist", headers=auth(keys["service"])).status_code == 403
    assert client.get("/api/v1/worklist", headers=auth(keys["admin"] + "x")).status_code == 401
    assert client.get("/api/v1/patients/PX-UNKNOWN-99/timeline", headers=auth(keys["admin"])).status_code == 404
    assert client.post("/api/v1/analyze", json={"text": REPORTS[0]["text"], "lang": "xx"},
                       headers=auth(keys["admin"])).status_code == 422

    output = captured.getvalue()
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r.get("event") == "request"]
    assert len(access) >= 9
    assert {"/api/v1/patients/{patient_id}/timeline", "/api/v1/worklist"} <= {r["route"] for r in access}
    assert {r["status"] for r in access} >= {200, 401, 403, 404, 422}
    assert all(r["request_id"] and r["duration_ms"] >= 0 for r in access)
    assert any(r.get("user") == "coordinator" and r.get("role") == "coordinator" for r in access)
    for fragment in [*_secrets(keys), "PX-UNKNOWN-99"]:
        assert fragment not in output, f"log leaks {fragment[:20]!r}"


def test_formatter_drops_unlisted_fields_and_exception_messages() -> None:
    record = logging.LogRecord("calcitrack.api", logging.ERROR, __file__, 1, "boom", None, None)
    record.__dict__["patient_id"] = "PX-1"
    record.__dict__["status"] = 500
    try:
        raise ValueError("text of report PX-1")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["status"] == 500 and data["exc_type"] == "ValueError" and data["frames"]
    assert "PX-1" not in line


def test_uvicorn_access_log_is_off_in_the_serve_config() -> None:
    config = log_config("INFO")
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["formatters"]["json"]["()"].endswith("JsonFormatter")
