"""Request body size limit, enforced on the byte stream as it arrives.

Why on the stream: a client can omit ``Content-Length`` (chunked transfer) or lie about it; counting the
bytes actually received is the only reliable limit. A declared length above the limit is refused before
reading anything. Either way the client gets a 413 problem document and the server never buffers more
than the limit (plus one network chunk).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import HTTPException

from calcitrack.api.problems import ApiProblem, problem_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the stream passes the limit.

    A FastAPI ``HTTPException`` on purpose: FastAPI re-raises those while reading a body (any other
    exception would become a generic 400), so the problem handler turns it into a 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body exceeds the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """Refuse bodies larger than ``max_bytes`` with 413 (pure ASGI, wraps ``receive``)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await _send_413(send, limit)
                    return
        received = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_413(send, limit)


async def _send_413(send: Any, limit: int) -> None:
    response = problem_response(413, f"request body exceeds the limit of {limit} bytes")
    # Connection: close - the rest of an oversized body is not read, so the connection cannot be reused.
    response.headers["connection"] = "close"
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON: every request body of this API is a JSON document.

    ``async`` because it does no I/O: a sync dependency would cost a thread-pool hop per request."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise ApiProblem(415, f"unsupported content type {media!r}: send application/json")
