"""RFC 9457 problem details for every error the API returns, 401 to 500 alike.

Why one module: clients (and the tests) rely on a single error shape, ``application/problem+json`` with
``type``, ``title``, ``status``, ``detail`` and ``instance``. ``instance`` is ``urn:uuid:<request id>``,
the same id as the ``X-Request-ID`` header and the JSON log line, so a user can quote it to an operator
without the error having to echo any patient data into the logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from calcitrack.api.logging import current_request_id, safe_exception_fields
from calcitrack.app.follow_ups import FollowUpNotFound, TransitionRefused
from calcitrack.app.http import ApiProblem as ApiProblem  # re-exported: routes raise it
from calcitrack.errors import (
    AssessmentError,
    CalcitrackError,
    Conflict,
    InputError,
    InvalidInput,
    KBError,
    NotFound,
    RegistryError,
)
from calcitrack.registry.db import DatabaseError, StorageError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:calcitrack:problem:"

log = logging.getLogger("calcitrack.api")

FASTAPI_BODY_ERROR = "There was an error parsing the body"

_SLUGS: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-failed-authentications",
    500: "internal-error",
    503: "not-ready",
}


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> JSONResponse:
    """A ``application/problem+json`` response; ``slug`` names the problem type (defaults per status)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    rid = request_id or current_request_id()
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (slug or _SLUGS.get(status, "error")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"urn:uuid:{rid}" if rid else None,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _is_branch_tag(part: Any) -> bool:
    # Pydantic names the branch of a union in the location: "IngestReport", "list[IngestReport]".
    return isinstance(part, str) and (part[:1].isupper() or part.startswith(("list[", "dict[")))


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, parts = parts[0], parts[1:]
        if parts and _is_branch_tag(parts[0]):
            parts = parts[1:]
        if not parts:
            return "body" if where == "body" else where
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _matching_branch(errors: list[Any], body: Any) -> list[Any]:
    """For a body that may be one object or a list, keep only the errors of the branch the client chose."""
    tags = {e["loc"][1] for e in errors if len(e.get("loc", ())) > 1 and e["loc"][0] == "body"
            and _is_branch_tag(e["loc"][1])}
    if len(tags) < 2:
        return errors
    want_list = isinstance(body, list)
    kept = [e for e in errors if not (len(e["loc"]) > 1 and _is_branch_tag(e["loc"][1]))
            or str(e["loc"][1]).startswith("list[") == want_list]
    return kept or errors


def describe_errors(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic/FastAPI errors as ``{"field", "message"}``; messages never include the rejected value."""
    described = []
    for error in errors:
        if error.get("type") == "json_invalid":
            # FastAPI puts the character offset where a field name would be ("[21]: JSON decode error").
            loc = list(error.get("loc", ()))
            where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
            reason = str((error.get("ctx") or {}).get("error", "")).strip()
            message = f"not valid JSON{where}" + (f" ({reason})" if reason else "")
            described.append({"field": "body", "message": message})
            continue
        message = str(error.get("msg", "invalid value"))
        message = message[:1].lower() + message[1:]
        described.append({"field": _field(error.get("loc", ())), "message": message})
    return described


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    slug = exc.slug if isinstance(exc, ApiProblem) else None
    extra = exc.extra if isinstance(exc, ApiProblem) else None
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such resource"
    if exc.status_code == 400 and detail == FASTAPI_BODY_ERROR:
        # FastAPI's words for a body it could not decode (e.g. UTF-16 or Latin-1 bytes): say what to send.
        detail = "body: not valid UTF-8 JSON text; send the JSON document encoded as UTF-8"
        slug = slug or "body-not-utf8-json"
    return problem_response(exc.status_code, detail, slug=slug, headers=headers, extra=extra)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = describe_errors(_matching_branch(list(exc.errors()), exc.body))
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem_response(422, detail, extra={"errors": errors})


@dataclass(frozen=True)
class ProblemType:
    """How one error type reaches an HTTP client: status, RFC 9457 type slug, and whether its message shows."""

    status: int
    slug: str
    detail: str | None = None
    """A fixed detail (the message is logged, never sent: it may hold a host name or a KB path), or None:
    the error's ``public`` detail when it has one, else its message, which names the field."""
    log: str = "error"
    """The log line's message when ``detail`` is fixed."""


PROBLEM_TYPES: dict[type[Exception], ProblemType] = {
    # Most specific first is not needed: the handler walks the error's MRO, so a subclass finds its own
    # row before its base's. Routes raise these errors from the use cases; no route guesses a status.
    FollowUpNotFound: ProblemType(404, "not-found"),
    TransitionRefused: ProblemType(409, "transition-not-allowed"),
    NotFound: ProblemType(404, "not-found"),
    Conflict: ProblemType(409, "conflict"),
    InvalidInput: ProblemType(422, "validation-error"),
    InputError: ProblemType(422, "validation-error"),
    AssessmentError: ProblemType(422, "cannot-assess"),
    StorageError: ProblemType(422, "validation-error"),  # the database refused this input (e.g. a NUL byte)
    DatabaseError: ProblemType(503, "database-unavailable", "the registry database is unavailable; try again later",
                                 "database unavailable"),
    KBError: ProblemType(500, "internal-error", "the knowledge base could not be used; see the server log",
                           "knowledge base error"),
    RegistryError: ProblemType(500, "internal-error", "the registry could not store this; see the server log",
                                 "registry error"),
    CalcitrackError: ProblemType(422, "validation-error"),
}
"""The one table from calcitrack's error types (calcitrack.errors) to HTTP statuses and problem types."""


def problem_type(exc: BaseException) -> ProblemType | None:
    """The row of :data:`PROBLEM_TYPES` for ``exc``: its own class's, else its nearest base's."""
    for klass in type(exc).__mro__:
        if klass in PROBLEM_TYPES:
            return PROBLEM_TYPES[klass]
    return None


async def _calcitrack_error(request: Request, exc: Exception) -> JSONResponse:
    problem = problem_type(exc)
    if problem is None:
        return await _unexpected(request, exc)
    if problem.detail is not None:
        # The message may hold the database host or a KB path: keep it in the log, give the client the row's.
        log.error(problem.log, extra=safe_exception_fields(exc))
        return problem_response(problem.status, problem.detail, slug=problem.slug)
    public = exc.public if isinstance(exc, CalcitrackError) else None
    return problem_response(problem.status, public or str(exc), slug=problem.slug)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The exception message may quote report text: log its type and frames only, never str(exc).
    log.error("unhandled error", extra=safe_exception_fields(exc))
    return problem_response(500, "internal error; quote the instance id to the operator")


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; extension members (errors, checks, retry_after) may follow.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:calcitrack:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "minLength": 1, "description": "What is wrong, naming the field"},
        "instance": {"type": ["string", "null"], "description": "urn:uuid:<request id> (X-Request-ID)"},
        "errors": {
            "type": "array",
            "description": "validation-error: {field, message} per error; ingest-refused: one message per item",
            "items": {"anyOf": [
                {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
                {"type": "string"},
            ]},
        },
    },
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the API really returns on errors.

    Why: FastAPI documents 422 as ``application/json`` with its own ``HTTPValidationError`` shape, but every
    error here is an ``application/problem+json`` problem document. A client generator (or a schema-driven
    fuzzer checking conformance) must see the real shape: every 4xx/5xx response of every operation, and a
    ``default`` response, point to the ``Problem`` schema.
    """
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response["content"] = dict(problem)
            responses.setdefault("default", {"description": "Error: an RFC 9457 problem document",
                                             "content": dict(problem)})
    return schema


def install(app: FastAPI) -> None:
    """Register the handlers; the 500 handler also covers exceptions escaping every other handler."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(CalcitrackError, _calcitrack_error)  # every row of PROBLEM_TYPES
    app.add_exception_handler(Exception, _unexpected)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
