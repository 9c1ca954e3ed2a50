"""Schema-driven fuzzing of the HTTP API (schemathesis) from the app's own OpenAPI document.

Why in-process (ASGI) rather than against ``calcitrack serve``: the same application object and
middleware stack, but thousands of requests in a few seconds and a failing case shrunk by Hypothesis to
a minimal reproducer. The real server is covered by tests/api/test_server.py and test_security.py.

Every operation is fuzzed twice: with schema-valid data (positive) and with schema-violating data
(negative), each request carrying the key of a rotating role (or none). Goal: no 5xx, every 2xx
conforming to the documented response schema, every 4xx an ``application/problem+json`` document with a
non-empty ``detail``. The failed-authentication lockout is disabled here (schemathesis may invent
``Authorization`` headers; the lockout has its own tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import response_schema_conformance
from sqlalchemy import Engine
from tests.api.helpers import REPORTS, auth
from tests.reliability import Recorder, scale

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.app.auth import ROLES

pytestmark = pytest.mark.reliability

PROBLEM = "application/problem+json"


@pytest.fixture
def fuzz_app(engine: Engine, settings: Settings, keys: dict[str, str]) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=settings.database_url, max_body_bytes=settings.max_body_bytes,
                              warmup=False, auth_max_failures=0))
    with TestClient(app) as client:  # runs the lifespan; some data for the registry routes to find
        assert client.post("/api/v1/ingest", json=REPORTS, headers=auth(keys["service"])).status_code == 200
        yield app


def test_openapi_documents_every_error_as_a_problem(fuzz_app: FastAPI) -> None:
    document = fuzz_app.openapi()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "default" in operation["responses"], (method, path)
            for code, response in operation["responses"].items():
                if code[:1] in ("4", "5") or code == "default":
                    assert list(response["content"]) == [PROBLEM], (method, path, code)


def test_schemathesis_fuzzing_of_every_operation(fuzz_app: FastAPI, keys: dict[str, str], engine: Engine,
                                                 reliability: Recorder, db_url: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13, [op.label for op in operations]
    per_mode = scale(6, 360)
    identities: list[dict[str, str]] = [auth(keys[role]) for role in ROLES] + [{}]
    statuses: Counter[int] = Counter()
    seen: Counter[str] = Counter()
    no_negative: list[str] = []

    def exercise(operation: Any, mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=per_mode, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            number = sum(statuses.values())
            headers = identities[number % len(identities)]
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            seen[operation.label] += 1
            where = f"{case.method} {case.formatted_path} ({mode.value}) -> {response.status_code}"
            assert response.status_code < 500, f"{where}: {response.text[:500]}"
            if response.status_code >= 400:
                assert response.headers.get("content-type", [""])[0] == PROBLEM, where
                body = response.json()
                assert isinstance(body.get("detail"), str) and body["detail"].strip(), where
                assert body["status"] == response.status_code, where
            case.validate_response(response, checks=[response_schema_conformance])

        try:
            run()
        except Unsatisfiable:
            # No parameters and no body (GET /health ...): there is nothing to make invalid.
            assert mode is GenerationMode.NEGATIVE, operation.label
            no_negative.append(operation.label)

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation, mode)
    total = sum(statuses.values())
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    refusals = sum(n for s, n in statuses.items() if 400 <= s < 500)
    assert server_errors == 0
    assert total >= len(operations) * 2
    breakdown = ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
    reliability.row(
        area="fuzzing", check="API fuzzing from the OpenAPI document (schemathesis, positive + negative data; "
              f"{'PostgreSQL' if db_url.startswith('postgresql') else 'SQLite'})",
        inputs=f"{total:,} generated requests over {len(operations)} operations, 5 identities (4 roles, no key)",
        result=f"0 crashes, {server_errors} 5xx; {refusals:,} refusals (4xx), each a problem document with a "
               f"detail; every response schema-conformant ({breakdown})",
    )
