"""Authentication and roles: 401 without valid credentials, 403 for the wrong role, keys hashed at rest."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.api.helpers import REPORTS, auth, revoke

from calcitrack.api.auth import PERMISSIONS
from calcitrack.app.auth import create_key, revoke_key, split_key
from calcitrack.registry.db import session_scope

# (method, path, json body, permission): every endpoint that touches patient data.
PROTECTED = [
    ("POST", "/api/v1/analyze", {"text": "Liver: 5 mm calcification."}, "analyze"),
    ("POST", "/api/v1/ingest", REPORTS[0], "ingest"),
    ("GET", "/api/v1/worklist", None, "worklist:read"),
    ("GET", "/api/v1/patients/PX-API-7731/timeline", None, "timeline:read"),
    ("POST", "/api/v1/follow-ups/1/status", {"status": "notified"}, "follow_up:status"),
]
OPEN = [("GET", "/health"), ("GET", "/ready"), ("GET", "/openapi.json"), ("GET", "/docs"),
        ("GET", "/api/v1/kb/conditions"), ("GET", "/api/v1/kb/rules")]


def _call(client: TestClient, method: str, path: str, body: object, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.request(method, path, json=body, headers=headers or {})


def _is_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status


def test_the_issue_permission_table() -> None:
    assert PERMISSIONS["follow_up:status"] == ("coordinator", "admin")
    assert PERMISSIONS["ingest"] == ("service", "admin")
    assert set(PERMISSIONS["timeline:read"]) == {"clinician", "admin"}
    assert set(PERMISSIONS["analyze"]) == {"clinician", "coordinator", "service", "admin"}
    assert all("admin" in roles for roles in PERMISSIONS.values())


@pytest.mark.parametrize(("method", "path", "body", "permission"), PROTECTED)
def test_no_or_bad_credentials_get_401(client: TestClient, keys: dict[str, str], method: str, path: str,
                                       body: object, permission: str) -> None:
    missing = _call(client, method, path, body)
    _is_problem(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = keys["admin"][:-4] + "AAAA"
    for headers in ({"X-API-Key": "nonsense"}, {"X-API-Key": forged}, {"Authorization": f"Bearer {forged}"},
                    {"Authorization": f"Basic {keys['admin']}"}):
        _is_problem(_call(client, method, path, body, headers), 401)


@pytest.mark.parametrize(("method", "path", "body", "permission"), PROTECTED)
def test_each_role_is_allowed_or_forbidden(client: TestClient, keys: dict[str, str], method: str, path: str,
                                           body: object, permission: str) -> None:
    for role, key in keys.items():
        response = _call(client, method, path, body, auth(key))
        if role in PERMISSIONS[permission]:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            _is_problem(response, 403)
            assert role in response.json()["detail"]


def test_bearer_and_header_are_equivalent(client: TestClient, keys: dict[str, str]) -> None:
    bearer = client.get("/api/v1/worklist", headers={"Authorization": f"Bearer {keys['clinician']}"})
    header = client.get("/api/v1/worklist", headers=auth(keys["clinician"]))
    assert bearer.status_code == header.status_code == 200


def test_open_endpoints_need_no_key(client: TestClient) -> None:
    for method, path in OPEN:
        assert client.request(method, path).status_code == 200, path
    assert client.post("/api/v1/ask", json={"question": "what is a calcification?"}).status_code == 200


def test_revoked_user_and_key_get_401(client: TestClient, keys: dict[str, str], engine: Engine) -> None:
    assert client.get("/api/v1/worklist", headers=auth(keys["clinician"])).status_code == 200
    revoke(engine, "clinician")  # after a successful request: the verification cache must not keep it alive
    _is_problem(client.get("/api/v1/worklist", headers=auth(keys["clinician"])), 401)
    with session_scope(engine) as session:
        second = create_key(session, "coordinator", actor="test", source="test")
    assert client.get("/api/v1/worklist", headers=auth(second)).status_code == 200
    with session_scope(engine) as session:
        revoke_key(session, split_key(second) or "", actor="test", source="test")
    _is_problem(client.get("/api/v1/worklist", headers=auth(second)), 401)
    assert client.get("/api/v1/worklist", headers=auth(keys["coordinator"])).status_code == 200


def test_authentication_comes_before_body_validation(client: TestClient) -> None:
    # An anonymous caller must not be able to probe the request schema through 422s.
    for method, path, _body, _permission in PROTECTED:
        _is_problem(_call(client, method, path, {"unexpected": True}), 401)
