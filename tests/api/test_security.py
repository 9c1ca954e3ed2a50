"""Security of the HTTP API: every role boundary, revocation, the failed-authentication lockout, headers,
SQL injection through every parameter, and secrets kept out of the logs.

Why the role matrix is derived from the app's routes: a hand-written list drifts; here every route that
needs credentials is found by walking its FastAPI dependencies, its allowed roles come from the same
objects the route uses (``PERMISSIONS``, the CDS Hooks role list), and a new route without an example
request below fails the test instead of being silently skipped.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select
from tests.api.helpers import REPORTS, assert_problem, audit_events, auth, ingest_reports, revoke
from tests.conftest import free_port
from tests.reliability import Recorder, scale

from calcitrack.api.app import create_app
from calcitrack.api.auth import PERMISSIONS, current_principal
from calcitrack.api.logging import JsonFormatter, log_config
from calcitrack.api.settings import Settings
from calcitrack.app.auth import ROLES, add_user, create_key, revoke_key, split_key
from calcitrack.interop import cdshooks
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope

pytestmark = pytest.mark.reliability


def backend_name(db_url: str) -> str:
    """The database of a parametrised API test, for its reliability row (the tests run on both)."""
    return "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"

CDS_BODY = {"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "PX-API-7731"}}
EXAMPLES: dict[tuple[str, str], tuple[str, dict[str, Any] | list[Any] | None]] = {
    # (method, route template) -> (concrete path, JSON body): a request the allowed roles may make.
    ("POST", "/api/v1/analyze"): ("/api/v1/analyze", {"text": "Liver: 5 mm calcification.", "lang": "en"}),
    ("POST", "/api/v1/analyze/policies"): (
        "/api/v1/analyze/policies", {"text": "Liver: 5 mm calcification.", "lang": "en"},
    ),
    ("POST", "/api/v1/ingest"): ("/api/v1/ingest", REPORTS[0]),
    ("GET", "/api/v1/worklist"): ("/api/v1/worklist", None),
    ("GET", "/api/v1/patients/{patient_id}/timeline"): ("/api/v1/patients/PX-API-7731/timeline", None),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/status"): ("/api/v1/follow-ups/1/status", {"status": "notified"}),
    ("POST", "/cds-services/calcitrack-followups"): ("/cds-services/calcitrack-followups", CDS_BODY),
    ("POST", "/cds-services/calcitrack-followups/feedback"): (
        "/cds-services/calcitrack-followups/feedback",
        {"feedback": [{"card": "ca1cf011-0000-4000-8000-000000000001", "outcome": "accepted",
                       "outcomeTimestamp": "2026-01-01T10:00:00Z"}]},
    ),
}


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def app_routes(app: FastAPI) -> Iterator[Any]:
    """Every route with its full path, ``methods`` and ``dependant``, whatever FastAPI's router layout.

    FastAPI >= 0.16x keeps included routers lazily (``app.routes`` holds ``_IncludedRouter`` entries);
    ``fastapi.routing.iter_route_contexts`` flattens them, as the OpenAPI generator does."""
    flatten = getattr(fastapi_routing, "iter_route_contexts", None)
    routes = list(flatten(app.routes)) if flatten is not None else list(app.routes)
    for route in routes:
        if getattr(route, "dependant", None) is not None and getattr(route, "methods", None):
            yield route


def route_guards(app: FastAPI) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """(method, path) -> roles allowed, for every API route; None for open routes. Unknown guards fail."""
    guards: dict[tuple[str, str], tuple[str, ...] | None] = {}
    for route in app_routes(app):
        if route.path.startswith("/ui") or route.path == "/":
            continue
        calls = list(_calls(route.dependant))
        allowed: tuple[str, ...] | None = None
        if current_principal in calls:
            allowed = ROLES
            by_name = {f"require_{p.replace(':', '_')}": p for p in PERMISSIONS}
            for call in calls:
                name = getattr(call, "__name__", "")
                if name in by_name:
                    allowed = PERMISSIONS[by_name[name]]
                elif call is cdshooks.cds_principal:
                    allowed = cdshooks.ALLOWED_ROLES
        for method in route.methods:
            guards[(method, route.path)] = allowed
    return guards


def _send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers) if body is not None else \
        client.request(method, path, headers=headers)


@pytest.fixture
def unlimited_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The app without the failed-authentication limit: the matrix sends ~30 bad keys on purpose (the
    limit itself is tested below)."""
    app = create_app(Settings(database_url=settings.database_url, max_body_bytes=settings.max_body_bytes,
                              warmup=False, auth_max_failures=0))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_role_matrix_of_every_protected_route(unlimited_client: TestClient, keys: dict[str, str], engine: Engine,
                                              reliability: Recorder, db_url: str) -> None:
    """No key, a malformed key and a revoked key get 401; roles without the permission 403; allowed roles pass."""
    client = unlimited_client
    guards = route_guards(client.app)  # type: ignore[arg-type]
    protected = {route: roles for route, roles in guards.items() if roles is not None}
    assert len(protected) >= 7, protected
    missing = sorted(set(protected) - set(EXAMPLES))
    assert not missing, f"routes without an example request in this test: {missing}"
    ingest_reports(client, keys["service"])  # so the timeline and follow-up 1 exist
    with session_scope(engine) as session:
        add_user(session, "gone", "admin", actor="test", source="test")
        revoked_key = create_key(session, "gone", actor="test", source="test")
    assert client.get("/api/v1/worklist", headers=auth(revoked_key)).status_code == 200  # cached, then ...
    revoke(engine, "gone")
    requests = refusals = 0
    for (method, template), allowed in sorted(protected.items()):
        path, body = EXAMPLES[(method, template)]
        for headers in ({}, auth("ctk_not-a-key"), auth(revoked_key), {"Authorization": f"Bearer {revoked_key}"}):
            problem = assert_problem(_send(client, method, path, body, headers), 401)
            assert "credentials" in problem["detail"]
            requests, refusals = requests + 1, refusals + 1
        for role in ROLES:
            response = _send(client, method, path, body, auth(keys[role]))
            requests += 1
            if role in allowed:
                assert response.status_code < 400, (method, template, role, response.text)
            else:
                problem = assert_problem(response, 403)
                assert role in problem["detail"] and "allowed" in problem["detail"]
                refusals += 1
            assert response.headers["cache-control"] == "no-store", (method, template)
    open_routes = sorted(route for route, roles in guards.items() if roles is None)
    assert ("GET", "/api/v1/kb/conditions") in open_routes
    reliability.row(
        area="security",
        check=f"API role boundaries (route x role matrix derived from the app's routes; {backend_name(db_url)})",
        inputs=f"{requests} requests: {len(protected)} protected routes x (no key, malformed, revoked key x2, "
               f"{len(ROLES)} roles); {len(open_routes)} open routes",
        result=f"{refusals} refusals (401 without/revoked key, 403 for the role), each a problem naming the "
               f"reason; every allowed role served; 0 5xx",
    )


def test_key_revocation_takes_effect_on_the_next_request(client: TestClient, keys: dict[str, str],
                                                         engine: Engine) -> None:
    """The verification cache must not outlive a revocation: the next request after revoke_key gets 401."""
    key = keys["coordinator"]
    for _ in range(3):  # verified once by scrypt, then from the cache
        assert client.get("/api/v1/worklist", headers=auth(key)).status_code == 200
    prefix = split_key(key)
    assert prefix
    with session_scope(engine) as session:
        revoke_key(session, prefix, actor="test", source="test")
    assert_problem(client.get("/api/v1/worklist", headers=auth(key)), 401)
    assert client.get("/api/v1/worklist", headers=auth(keys["clinician"])).status_code == 200


@pytest.fixture
def strict_app(engine: Engine, settings: Settings) -> FastAPI:
    """The real app with a low failed-authentication limit: 3 failures in 60 s lock for 60 s."""
    return create_app(Settings(database_url=settings.database_url, max_body_bytes=settings.max_body_bytes,
                               warmup=False, auth_max_failures=3, auth_window_seconds=60, auth_lockout_seconds=60))


def test_brute_force_locks_the_address_with_429_and_retry_after(strict_app: FastAPI, keys: dict[str, str],
                                                                 engine: Engine, reliability: Recorder,
                                                                 db_url: str) -> None:
    attacker = TestClient(strict_app, raise_server_exceptions=False, client=("203.0.113.9", 4000))
    other = TestClient(strict_app, raise_server_exceptions=False, client=("198.51.100.7", 4000))
    guesses = [f"ctk_{i:012x}_guess{i}" for i in range(3)]  # three prefixes: only the address reaches 3
    for guess in guesses:
        assert_problem(attacker.get("/api/v1/worklist", headers=auth(guess)), 401)
    # Locked now: even the right key is refused from this address (it must not confirm a guess) ...
    locked = assert_problem(attacker.get("/api/v1/worklist", headers=auth(keys["admin"])), 429)
    assert int(locked.get("retry_after", 0)) > 0 and "too many failed authentications" in locked["detail"]
    retry = attacker.get("/api/v1/worklist", headers=auth(keys["admin"])).headers["retry-after"]
    assert 0 < int(retry) <= 60
    # ... the lock holds for the web login too ...
    login = attacker.get("/ui/login")
    assert login.status_code == 200
    # ... while another client with a valid key is served, and requests without a key are never counted.
    for _ in range(10):
        assert_problem(other.get("/api/v1/worklist"), 401)
    assert other.get("/api/v1/worklist", headers=auth(keys["admin"])).status_code == 200
    lockouts = [e for e in audit_events(engine, "api_user") if e.event == "auth_lockout"]
    assert len(lockouts) == 1 and "203.0.113.9" in (lockouts[0].source or "")
    assert "guess" not in (lockouts[0].detail or "")  # the guessed key is never recorded
    reliability.row(
        area="security",
        check=f"Brute force: failed-authentication lockout per client address ({backend_name(db_url)})",
        inputs="3 wrong keys from one address (limit set to 3/60 s), then the right key; 10 keyless and "
               "1 valid request from another address",
        result=f"locked: 429 problem with Retry-After {retry} s, the right key refused too; other client "
               f"served; keyless requests not counted; {len(lockouts)} audit event",
    )


def test_guessing_one_key_from_many_addresses_locks_that_key_prefix(strict_app: FastAPI,
                                                                    keys: dict[str, str]) -> None:
    prefix = split_key(keys["clinician"])
    for number in range(3):
        guesser = TestClient(strict_app, raise_server_exceptions=False, client=(f"192.0.2.{number + 1}", 1))
        assert_problem(guesser.get("/api/v1/worklist", headers=auth(f"ctk_{prefix}_wrong{number}")), 401)
    fresh = TestClient(strict_app, raise_server_exceptions=False, client=("192.0.2.99", 1))
    assert_problem(fresh.get("/api/v1/worklist", headers=auth(keys["clinician"])), 429)
    assert fresh.get("/api/v1/worklist", headers=auth(keys["coordinator"])).status_code == 200


def test_200_concurrent_authenticated_clients_are_never_limited(client: TestClient, keys: dict[str, str],
                                                                reliability: Recorder, db_url: str) -> None:
    """Only failures count: a legitimate crowd behind one address (a proxy, a load test) is never locked."""
    total = scale(200, 1000)
    roles = ("clinician", "coordinator", "admin")

    def call(number: int) -> int:
        return int(client.get("/api/v1/worklist", headers=auth(keys[roles[number % 3]])).status_code)

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(total)))
    assert statuses.count(200) == total, {s: statuses.count(s) for s in set(statuses)}
    reliability.row(
        area="security", check=f"Lockout never hits legitimate clients ({backend_name(db_url)})",
        inputs=f"{total} authenticated requests from one address", load="50 concurrent threads",
        result=f"{statuses.count(200)}/{total} served (200), 0 rate-limited",
    )


def test_security_headers_on_every_api_response(client: TestClient, keys: dict[str, str],
                                                reliability: Recorder, db_url: str) -> None:
    guards = route_guards(client.app)  # type: ignore[arg-type]
    ingest_reports(client, keys["service"])
    checked = 0
    paths = [EXAMPLES[r][0] for r in guards if r in EXAMPLES and r[0] == "GET"]
    paths += [p for (m, p), roles in guards.items() if roles is None and m == "GET" and "{" not in p]
    paths += ["/api/v1/kb/conditions/calcified_granuloma", "/no/such/route"]
    for path in sorted(set(paths)):
        response = client.get(path, headers=auth(keys["admin"]))
        assert response.status_code < 500, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["referrer-policy"], path
        assert response.headers["cache-control"] == "no-store", path
        if path != "/docs":
            assert "default-src 'none'" in response.headers["content-security-policy"], path
        checked += 1
    big = client.post("/api/v1/analyze", content=b"x" * (70 * 1024), headers={**auth(keys["admin"]),
                                                                               "content-type": "application/json"})
    assert_problem(big, 413)
    assert big.headers["cache-control"] == "no-store"
    reliability.row(area="security", check=f"Security headers on API responses (CSP, nosniff, frame, referrer, "
                    f"no-store; {backend_name(db_url)})", inputs=f"{checked + 1} responses (every GET route, 404, 413)",
                    result="every response carries all five headers")


HOSTILE = [
    "' OR '1'='1", "PX-API-7731' OR 1=1 --", "x'; DROP TABLE patients; --", '" OR ""="',
    "1; SELECT * FROM api_keys", "%' OR patient_key LIKE '%", "\\'; --", "PX-API-7731\x00", "../../etc/passwd",
    "{{7*7}}", "<script>alert(1)</script>",
    "1 UNION SELECT key_hash FROM api_keys", "é' OR 'é'='é", "ʼ OR 1=1 --", "a" * 129,
]


def _table_counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        names = inspect(engine).get_table_names()
        return {name: session.scalar(select(func.count()).select_from(t.Base.metadata.tables[name])) or 0
                for name in names if name in t.Base.metadata.tables}


def test_sql_injection_in_every_parameter_leaks_nothing(client: TestClient, keys: dict[str, str], engine: Engine,
                                                        reliability: Recorder, db_url: str) -> None:
    ingest_reports(client, keys["service"])
    admin = auth(keys["admin"])
    baseline = client.get("/api/v1/worklist", headers=admin).json()["count"]
    tables_before = set(inspect(engine).get_table_names())
    before = _table_counts(engine)
    sent = refused = 0
    for value in HOSTILE:
        attempts = [
            client.get(f"/api/v1/patients/{quote(value, safe='')}/timeline", headers=admin),
            client.get("/api/v1/worklist", params={"status": value}, headers=admin),
            client.get("/api/v1/worklist", params={"due_before": value}, headers=admin),
            client.get("/api/v1/worklist", params={"limit": value}, headers=admin),
            client.get("/api/v1/kb/conditions", params={"organ": value}),
            client.get(f"/api/v1/kb/conditions/{quote(value, safe='')}"),
            client.get("/api/v1/kb/rules", params={"policy": value}),
            client.post(f"/api/v1/follow-ups/{quote(value, safe='')}/status", json={"status": value},
                        headers=admin),
            client.post("/api/v1/ingest", params={"policy": value}, json=REPORTS[0], headers=admin),
            client.post("/cds-services/calcitrack-followups", headers=admin,
                        json={**CDS_BODY, "context": {"patientId": value}}),
        ]
        for response in attempts:
            sent += 1
            assert response.status_code < 500, (value, response.request.url, response.text)
            if response.status_code >= 400:
                refused += 1
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["detail"]
                assert value not in response.text, "a refusal must not echo the rejected value"
            body = response.text
            assert "key_hash" not in body and "$scrypt" not in body and keys["admin"] not in body
        cds = attempts[-1]
        assert cds.status_code == 422 or cds.json()["cards"] == [], value  # an injected id matches nobody
    assert client.get("/api/v1/worklist", headers=admin).json()["count"] == baseline
    assert set(inspect(engine).get_table_names()) == tables_before
    after = _table_counts(engine)
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= {"audit_events"}, changed  # only the audit trail grew (reads of patient data)
    reliability.row(
        area="security",
        check=f"SQL injection through every path and query parameter ({backend_name(db_url)})",
        inputs=f"{sent} requests: {len(HOSTILE)} hostile strings x 10 parameters",
        result=f"0 5xx; {refused} refusals with a problem detail; no other patient's data returned; "
               f"{len(after)} tables intact, only the audit trail grew",
    )


LOGGERS = ["calcitrack", "calcitrack.api", "calcitrack.api.access", "uvicorn", "uvicorn.access", "uvicorn.error",
           "fastapi", ""]


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every record the server's loggers emit once configured as ``calcitrack serve`` configures them.

    The state of each logger is restored afterwards: ``serve``'s dictConfig turns propagation off, which
    would hide records from other tests' ``caplog``."""
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
                    logging.getLogger(name).propagate, logging.getLogger(name).disabled) for name in LOGGERS}
    stream = io.StringIO()
    yield stream
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


def _attach(stream: io.StringIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)


def test_secrets_never_reach_the_logs_of_a_real_uvicorn_server(engine: Engine, settings: Settings,
                                                                keys: dict[str, str], captured_logs: io.StringIO,
                                                                reliability: Recorder, db_url: str) -> None:
    """Report text, patient ids, report ids, questions and keys (valid, wrong, revoked) through uvicorn over TCP."""

    import httpx
    import uvicorn


    secret_text = "Zorblax unique sentence: 7 mm calcification in segment VII of the liver"
    patient, report_id, question = "PX-SECRET-90210", "RPT-SECRET-55", "Does my Quuxian calcification matter?"
    wrong_key = "ctk_abcdefabcdef_WrongSecretValue123"
    app = create_app(settings)
    port = free_port()
    # Exactly the uvicorn settings of `calcitrack serve` (cli/api_cmds.py), at DEBUG level.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=log_config("DEBUG"), access_log=False,
                            server_header=False, proxy_headers=True, lifespan="on")
    _attach(captured_logs)  # after the Config applied serve's logging configuration
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            threading.Event().wait(0.05)
        admin = auth(keys["admin"])
        with httpx.Client(base_url=base, timeout=60) as http:
            report = {"id": report_id, "patient_id": patient, "text": secret_text, "lang": "en"}
            assert http.post("/api/v1/ingest", json=report, headers=admin).status_code == 200
            assert http.post("/api/v1/analyze", json=report, headers=auth(keys["clinician"])).status_code == 200
            assert http.get(f"/api/v1/patients/{patient}/timeline", headers=admin).status_code == 200
            assert http.get(f"/api/v1/patients/{patient}-unknown/timeline", headers=admin).status_code == 404
            assert http.get("/api/v1/worklist", params={"status": patient}, headers=admin).status_code == 422
            assert http.post("/api/v1/ask", json={"question": question}).status_code == 200
            assert http.get("/api/v1/worklist", headers=auth(wrong_key)).status_code == 401
            assert http.get("/api/v1/worklist", headers={"Authorization": f"Bearer {keys['service']}"}
                            ).status_code == 403
            assert http.post("/api/v1/analyze", content=secret_text.encode(),
                             headers={**admin, "content-type": "text/plain"}).status_code == 415
            assert http.post("/api/v1/analyze", json={"text": secret_text, "age": patient},
                             headers=admin).status_code == 422
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    output = captured_logs.getvalue()
    assert '"route": "/api/v1/patients/{patient_id}/timeline"' in output  # the log did capture requests
    fragments = [secret_text, "Zorblax", patient, report_id, question, "Quuxian", wrong_key, "WrongSecretValue123"]
    fragments += [key for key in keys.values()] + [key.split("_", 2)[2] for key in keys.values()]
    leaked = [line for line in output.splitlines() if any(f in line for f in fragments)]
    assert not leaked, leaked
    lines = output.count("\n")
    reliability.row(
        area="security",
        check=f"Secrets never in logs (real uvicorn server, JSON and access loggers at DEBUG; {backend_name(db_url)})",
        inputs="10 requests carrying report text, patient and report ids, a question, valid/wrong keys",
        result=f"{lines} log lines captured; 0 of {len(fragments)} secret fragments found",
    )


def test_limiter_window_expiry_and_memory_bound() -> None:
    """Failures older than the window do not add up, a lockout ends on time, and the table stays bounded."""
    from calcitrack.app import ratelimit

    now = [1000.0]
    limiter = ratelimit.FailedAuthLimiter(3, window=60, lockout=120, clock=lambda: now[0])
    for _ in range(2):
        limiter.failure("10.0.0.1", None)
    now[0] += 61  # the two failures leave the window
    assert limiter.failure("10.0.0.1", None) == [] and limiter.check("10.0.0.1", None) is None
    assert limiter.failure("10.0.0.1", None) == [] and limiter.failure("10.0.0.1", "abcdefabcdef") == ["client"]
    lock = limiter.check("10.0.0.1", None)
    assert lock is not None and lock.subject == "client" and lock.retry_after == 120
    assert limiter.check("10.0.0.2", "abcdefabcdef") is None  # the prefix has 1 failure only
    now[0] += 121
    assert limiter.check("10.0.0.1", None) is None
    assert ratelimit.FailedAuthLimiter(0, 60, 60).failure("x", None) == []  # 0 disables
    small = ratelimit.FailedAuthLimiter(5, window=60, lockout=60, clock=lambda: now[0])
    saved, ratelimit.MAX_TRACKED = ratelimit.MAX_TRACKED, 100
    try:
        for number in range(1000):
            small.failure(f"198.51.100.{number}", None)
        assert len(small._entries) <= 100
    finally:
        ratelimit.MAX_TRACKED = saved
