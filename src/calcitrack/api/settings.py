"""Runtime settings of the API, read from the environment once per application.

Why the environment: ``calcitrack serve --workers N`` starts worker processes that rebuild the app from
an import string, so anything the command line sets must travel through ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from calcitrack.errors import InputError

ENV_MAX_BODY = "CALCITRACK_MAX_BODY_BYTES"
ENV_WARMUP = "CALCITRACK_API_WARMUP"
ENV_AUTH_MAX_FAILURES = "CALCITRACK_AUTH_MAX_FAILURES"
ENV_AUTH_WINDOW = "CALCITRACK_AUTH_WINDOW_SECONDS"
ENV_AUTH_LOCKOUT = "CALCITRACK_AUTH_LOCKOUT_SECONDS"

DEFAULT_AUTH_MAX_FAILURES = 10
"""Failed authentications (wrong, unknown, revoked or malformed key) per client address or key prefix ..."""
DEFAULT_AUTH_WINDOW_SECONDS = 60
"""... within this many seconds ..."""
DEFAULT_AUTH_LOCKOUT_SECONDS = 300
"""... lock that address or prefix out for this long (429 with Retry-After). A legit client never fails."""

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
"""5 MiB: a long report is ~50 kB, a batch of 100 reports well under this; larger bodies get 413."""

API_PREFIX = "/api/v1"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise InputError(f"{name}: expected true or false, got {raw!r}")


def _int(name: str, default: int, *, unit: str = "bytes", minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(f"{name}: expected a number of {unit}, got {raw!r}") from exc
    if value < minimum:
        raise InputError(f"{name}: must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """What an application instance needs; tests build one directly instead of setting variables."""

    database_url: str | None = None
    """None: resolved by the registry (``CALCITRACK_DATABASE_URL``, else the user's SQLite file)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    warmup: bool = True
    """Load the KB and the NLP pipelines at start-up, so the first request is not 5 s slow."""
    auth_max_failures: int = DEFAULT_AUTH_MAX_FAILURES
    """0 disables the failed-authentication limit (:mod:`calcitrack.app.ratelimit`)."""
    auth_window_seconds: int = DEFAULT_AUTH_WINDOW_SECONDS
    auth_lockout_seconds: int = DEFAULT_AUTH_LOCKOUT_SECONDS

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=None,
            max_body_bytes=_int(ENV_MAX_BODY, DEFAULT_MAX_BODY_BYTES),
            warmup=_bool(ENV_WARMUP, True),
            auth_max_failures=_int(ENV_AUTH_MAX_FAILURES, DEFAULT_AUTH_MAX_FAILURES, unit="failures", minimum=0),
            auth_window_seconds=_int(ENV_AUTH_WINDOW, DEFAULT_AUTH_WINDOW_SECONDS, unit="seconds"),
            auth_lockout_seconds=_int(ENV_AUTH_LOCKOUT, DEFAULT_AUTH_LOCKOUT_SECONDS, unit="seconds"),
        )
