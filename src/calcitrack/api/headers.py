"""Security headers on every HTTP response (API, UI, probes), as one pure ASGI middleware.

Why a middleware and not per-route code: a header that a new route forgets is a header missing on
exactly the response nobody reviewed. The middleware only *adds* headers a response does not set itself,
so a page that needs something stricter (or the Swagger UI at ``/docs``, which needs a CDN) keeps its own.

- ``Cache-Control: no-store``: API answers and UI pages may carry patient data; no browser, proxy or
  disk cache may keep them. Only the UI's static files (CSS, JS) stay cacheable.
- ``Content-Security-Policy``: the API returns JSON, so ``default-src 'none'``; the UI serves its own CSS
  and JS only (no inline script or style, no CDN), so ``'self'``. ``frame-ancestors 'none'`` everywhere.
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (old browsers), ``Referrer-Policy``.
"""

from __future__ import annotations

from typing import Any

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""JSON and problem documents: nothing may load, run or frame."""

UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The UI's templates have no inline script, style attribute or external resource (tests check it)."""

DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
"""``/docs`` (Swagger UI) loads its script and style from a CDN with an inline bootstrap script."""

STATIC_PREFIX = "/ui/static/"


def policy_for(path: str) -> str:
    """The Content-Security-Policy of a path: UI pages, the interactive docs, or everything else (API)."""
    if path == "/docs" or path.startswith("/docs/"):
        return DOCS_CSP
    if path == "/ui" or path.startswith("/ui/"):
        return UI_CSP
    return API_CSP


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers a response to ``path`` gets unless it set them itself."""
    headers = [
        (b"content-security-policy", policy_for(path).encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin" if path.startswith("/ui") else b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if not path.startswith(STATIC_PREFIX):
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response start (pure ASGI: streaming passes through)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(str(scope.get("path", "")))

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
