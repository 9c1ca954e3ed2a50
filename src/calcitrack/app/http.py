"""What the three HTTP faces (API, web UI, CDS Hooks) share: the problem exception, the database engine,
the caller's address, and authentication with the failed-authentication lockout, as FastAPI dependencies.

Why here and not in ``api/``: the web UI and CDS Hooks are faces beside the API, not below it; they may
import the application layer, never another face. :mod:`calcitrack.api.app` only assembles the routers
and renders :class:`ApiProblem` as RFC 9457 problem details (:mod:`calcitrack.api.problems`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import HTTPException
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from calcitrack.app.access import Reader
from calcitrack.app.auth import PERMISSIONS, Principal, authenticate, split_key
from calcitrack.app.ratelimit import FailedAuthLimiter, Lockout
from calcitrack.registry import audit
from calcitrack.registry.db import session_scope


class ApiProblem(HTTPException):
    """An error a route raises on purpose, with its own problem type and optional extension members."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.slug = slug
        self.extra = extra or {}


def engine_of(request: Request) -> Engine:
    """The registry engine the application was created with."""
    engine: Engine = request.app.state.engine
    return engine


def client_address(request: Request) -> str:
    """Where the request came from, for the audit trail (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"


def reader(request: Request, principal: Principal, channel: str = "api") -> Reader:
    """Who reads and from where (``api@10.0.0.7``, ``ui@...``): what every audited use case needs."""
    return Reader(principal=principal, channel=channel, client=client_address(request))


def audit_source(request: Request, channel: str = "api") -> str:
    return f"{channel}@{client_address(request)}"


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key from `calcitrack keys create`")
_bearer = HTTPBearer(auto_error=False, description="The same API key, as a bearer token")

UNAUTHENTICATED = "missing, invalid or revoked credentials: send X-API-Key or Authorization: Bearer"
LOCKED_OUT = "too many failed authentications from this client or for this key; retry after {seconds} s"


def _unauthenticated() -> ApiProblem:
    return ApiProblem(401, UNAUTHENTICATED, headers={"WWW-Authenticate": 'Bearer realm="calcitrack"'})


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
