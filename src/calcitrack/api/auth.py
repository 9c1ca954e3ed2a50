"""Authentication and role checks, as FastAPI dependencies.

Why one permission table: who may do what is a policy a reviewer must be able to read in one place
(it is copied into ``docs/api.md``). Routes name a permission, never a role list. ``admin`` may do
everything. Missing, malformed, unknown or revoked credentials all get the same 401 (the response never
says which, so it cannot be used to probe keys); a valid key without the permission gets 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from calcitrack.api.auth_store import ROLES, Principal, authenticate, split_key
from calcitrack.api.problems import ApiProblem
from calcitrack.api.ratelimit import FailedAuthLimiter, Lockout
from calcitrack.registry import audit
from calcitrack.registry.db import session_scope

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "analyze": ("clinician", "coordinator", "service", "admin"),
    "ingest": ("service", "admin"),
    "worklist:read": ("clinician", "coordinator", "admin"),
    "timeline:read": ("clinician", "admin"),
    "follow_up:status": ("coordinator", "admin"),
}
"""Permission -> roles allowed. Analyze takes any role: it processes patient text but stores nothing."""

assert all(role in ROLES for roles in PERMISSIONS.values() for role in roles)

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key from `calcitrack keys create`")
_bearer = HTTPBearer(auto_error=False, description="The same API key, as a bearer token")

UNAUTHENTICATED = "missing, invalid or revoked credentials: send X-API-Key or Authorization: Bearer"


def _unauthenticated() -> ApiProblem:
    return ApiProblem(401, UNAUTHENTICATED, headers={"WWW-Authenticate": 'Bearer realm="calcitrack"'})


LOCKED_OUT = "too many failed authentications from this client or for this key; retry after {seconds} s"


def _limiter(request: Request) -> FailedAuthLimiter | None:
    limiter = getattr(request.app.state, "auth_limiter", None)
    return limiter if isinstance(limiter, FailedAuthLimiter) else None


def locked_out(lockout: Lockout) -> ApiProblem:
    """The 429 problem of a locked client address or key prefix (never says which key or why it failed)."""
    return ApiProblem(429, LOCKED_OUT.format(seconds=lockout.retry_after),
                      headers={"Retry-After": str(lockout.retry_after)}, extra={"retry_after": lockout.retry_after})


def check_lockout(request: Request, key: str) -> None:
    """429 when the caller's address or the key's prefix is locked out (call before checking the key)."""
    limiter = _limiter(request)
    if limiter is not None and (lockout := limiter.check(client_address(request), split_key(key))):
        raise locked_out(lockout)


def record_failure(request: Request, key: str, *, channel: str) -> None:
    """Count a failed authentication; the failure that starts a lockout is audited (one event per lockout)."""
    limiter = _limiter(request)
    if limiter is None:
        return
    client, prefix = client_address(request), split_key(key)
    for subject in limiter.failure(client, prefix):
        what = f"client {client}" if subject == "client" else f"key prefix {prefix}"
        with session_scope(request.app.state.engine) as session:
            audit.log(session, actor="anonymous", source=f"{channel}@{client}", entity="api_user", entity_pk=0,
                      event_name="auth_lockout",
                      detail=f"{what} locked for {limiter.lockout:g} s after {limiter.max_failures} failed "
                             f"authentications within {limiter.window:g} s")


def current_principal(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller, or 401 (429 after too many failed attempts, see :mod:`.ratelimit`)."""
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise _unauthenticated()
    key = key.strip()
    check_lockout(request, key)
    with session_scope(request.app.state.engine) as session:
        principal = authenticate(session, key)
    if principal is None:
        record_failure(request, key, channel="api")
        raise _unauthenticated()
    request.state.principal = principal
    return principal


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks ``permission`` (403 when the role lacks it)."""
    allowed = PERMISSIONS[permission]

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        # async: a pure check, no I/O - no thread-pool hop (the key lookup itself runs in the pool).
        if principal.role not in allowed:
            raise ApiProblem(403, f"role {principal.role!r} may not {permission}; allowed: {', '.join(allowed)}")
        return principal

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency


def client_address(request: Request) -> str:
    """Where the request came from, for the audit trail (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"


def audit_source(request: Request) -> str:
    return f"api@{client_address(request)}"
