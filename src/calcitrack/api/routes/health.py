"""Liveness and readiness probes, open to anyone (load balancers and orchestrators call them).

Why two: ``/health`` says the process answers (restart it if not); ``/ready`` says it can do its job -
the database is reachable at the expected schema revision and the knowledge base is loaded - so traffic
is only routed to it then. Neither reveals the database URL or any version of anything sensitive.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from calcitrack.api.logging import safe_exception_fields
from calcitrack.api.problems import problem_response
from calcitrack.api.settings import API_PREFIX
from calcitrack.kb import get_kb
from calcitrack.registry.db import check_schema

router = APIRouter(tags=["health"])
versioned_router = APIRouter(prefix=API_PREFIX, tags=["health"], include_in_schema=False)
"""The same probes under /api/v1, for clients that only know the versioned base URL."""


@router.get("/health", summary="Liveness: the process answers")
@versioned_router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: database reachable and migrated, knowledge base loaded",
    responses={503: {"description": "Not ready (problem details with a `checks` member)"}},
)
@versioned_router.get("/ready")
def ready(request: Request) -> Any:
    import logging

    checks: dict[str, str] = {}
    kb_version = None
    try:
        check_schema(request.app.state.engine)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; details go to the log only
        logging.getLogger("calcitrack.api").warning("readiness: database check failed",
                                                    extra=safe_exception_fields(exc))
        checks["database"] = "unavailable"
    try:
        kb_version = get_kb().kb_version
        checks["kb"] = "ok"
    except Exception as exc:
        logging.getLogger("calcitrack.api").warning("readiness: KB check failed", extra=safe_exception_fields(exc))
        checks["kb"] = "unavailable"
    if any(value != "ok" for value in checks.values()):
        failed = ", ".join(name for name, value in checks.items() if value != "ok")
        return problem_response(503, f"not ready: {failed}", extra={"checks": checks})
    return JSONResponse({"status": "ready", "checks": checks, "kb_version": kb_version})
