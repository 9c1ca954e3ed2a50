"""Signed session cookies and CSRF tokens for the web UI (standard library only).

Why not a server-side session table: the UI needs only who is logged in (name, role, key prefix) and
a random nonce; signing that with HMAC-SHA256 keeps the server stateless. The API key itself is never
stored in the cookie. Every request re-checks that the key prefix and its user are still unrevoked, so
revocation takes effect on the next page as it does on the API.

The secret is ``CALCITRACK_SECRET_KEY`` when set (needed with several workers, which must share it),
else random per process (sessions then end when the server restarts). CSRF tokens are HMACs of the
session nonce: a form posted without the token of the current session is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from calcitrack.settings import get_settings

SESSION_COOKIE = "ct_session"
SESSION_SECONDS = 8 * 3600
"""A working day: long enough for a clinic session, short enough that a forgotten browser logs out."""

_PROCESS_SECRET = secrets.token_bytes(32)


def secret_key() -> bytes:
    configured = get_settings().secret_key
    return configured.encode("utf-8") if configured else _PROCESS_SECRET


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: str) -> str:
    return _b64(hmac.new(secret_key(), payload.encode("ascii"), hashlib.sha256).digest())


@dataclass(frozen=True)
class WebSession:
    """Who the browser is: always a nonce (for CSRF); a user only after login."""

    nonce: str
    name: str | None = None
    role: str | None = None
    key_prefix: str | None = None
    expires: int = 0

    @property
    def logged_in(self) -> bool:
        return self.name is not None


def new_session(name: str | None = None, role: str | None = None, key_prefix: str | None = None) -> WebSession:
    """A fresh session with a new nonce (login rotates it, so a planted cookie is useless)."""
    return WebSession(secrets.token_urlsafe(16), name, role, key_prefix, int(time.time()) + SESSION_SECONDS)


def encode(session: WebSession) -> str:
    data: dict[str, Any] = {"n": session.nonce, "u": session.name, "r": session.role, "k": session.key_prefix,
                            "e": session.expires}
    payload = _b64(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(payload)}"


def decode(cookie: str | None) -> WebSession | None:
    """The session in a cookie, or None when absent, tampered with, malformed or expired."""
    if not cookie or "." not in cookie or len(cookie) > 2000:
        return None
    payload, _, mac = cookie.partition(".")
    if not hmac.compare_digest(_mac(payload), mac):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = WebSession(str(data["n"]), data.get("u"), data.get("r"), data.get("k"), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires < time.time():
        return None
    return session


def csrf_token(session: WebSession) -> str:
    return _mac(f"csrf:{session.nonce}")


def check_csrf(session: WebSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(session), token or "")
