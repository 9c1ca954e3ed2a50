"""Structured JSON logs (one object per line) that never carry report text, patient ids or keys.

Why a whitelist rather than a scrubber: nobody can reliably recognise a patient identifier in free text,
so the formatter only emits the message and a fixed set of fields the API itself fills in (method,
route *template*, status, duration, request id, user name and role, client address). Exceptions are
reduced to their type and frames (file, line, function): an exception *message* may quote the input.
Uvicorn's access log is switched off because it prints raw paths (``/patients/<id>/timeline``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
import traceback
from typing import Any

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("calcitrack_request_id", default=None)

ALLOWED_FIELDS: tuple[str, ...] = (
    "event", "method", "route", "status", "duration_ms", "client", "user", "role", "request_id",
    "exc_type", "frames", "count", "host", "port", "workers",
)
"""The only ``extra`` fields that reach the log; anything else passed as ``extra`` is dropped."""


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def safe_exception_fields(exc: BaseException) -> dict[str, Any]:
    """Type and frames of an exception, without its message or local values."""
    frames = [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}:{frame.name}"
              for frame in traceback.extract_tb(exc.__traceback__)]
    return {"exc_type": type(exc).__name__, "frames": frames[-12:]}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the whitelisted fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ALLOWED_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                data[name] = value
        if "request_id" not in data and (rid := current_request_id()):
            data["request_id"] = rid
        if record.exc_info and record.exc_info[1] is not None and "exc_type" not in data:
            data.update(safe_exception_fields(record.exc_info[1]))
        return json.dumps(data, ensure_ascii=False, default=str)


FIXED_PATHS: frozenset[str] = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})
"""Paths without a FastAPI route object that are safe to log verbatim (no parameters in them)."""

LOGGERS: tuple[str, ...] = ("calcitrack", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi")


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` dict (also given to uvicorn, so its workers log the same way)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "calcitrack.api.logging.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "calcitrack": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            # Off: the access log would print raw paths and query strings; the API logs its own requests.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def configure(level: str = "INFO") -> None:
    """Install the JSON handler on the calcitrack and uvicorn loggers (idempotent)."""
    import logging.config

    logging.config.dictConfig(log_config(level))
    sys.stderr.flush()


class AccessLogMiddleware:
    """Gives each request an id (``X-Request-ID``) and logs one line per request with its route template.

    Pure ASGI (no ``BaseHTTPMiddleware``) so that streaming bodies and the size limit pass through untouched.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log = logging.getLogger("calcitrack.api.access")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import time
        import uuid

        request_id = str(uuid.uuid4())
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        started_response = False

        async def send_tracked(message: dict[str, Any]) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            # Handled here, inside the request-id context, so the 500 problem carries the id; re-raising
            # would let the server log the exception message, which may quote the request.
            status = 500
            logging.getLogger("calcitrack.api").error("unhandled error", extra=safe_exception_fields(exc))
            if started_response:
                raise
            from calcitrack.api.problems import problem_response

            response = problem_response(500, "internal error; quote the instance id to the operator")
            await send_with_id({"type": "http.response.start", "status": 500, "headers": response.raw_headers})
            await send_with_id({"type": "http.response.body", "body": response.body})
        finally:
            route = scope.get("route")
            principal = scope.get("state", {}).get("principal") if isinstance(scope.get("state"), dict) else None
            client = scope.get("client")
            self.log.info(
                "request",
                extra={
                    "event": "request",
                    "method": scope.get("method"),
                    # The template (/api/v1/patients/{patient_id}/timeline), never the raw path.
                    "route": getattr(route, "path", None)
                    or (scope.get("path") if scope.get("path") in FIXED_PATHS else "<unmatched>"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                    "user": getattr(principal, "name", None),
                    "role": getattr(principal, "role", None),
                    "request_id": request_id,
                },
            )
            reset_request_id(token)
