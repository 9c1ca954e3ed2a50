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


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(f"{name}: expected a number of bytes, got {raw!r}") from exc
    if value <= 0:
        raise InputError(f"{name}: must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """What an application instance needs; tests build one directly instead of setting variables."""

    database_url: str | None = None
    """None: resolved by the registry (``CALCITRACK_DATABASE_URL``, else the user's SQLite file)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    warmup: bool = True
    """Load the KB and the NLP pipelines at start-up, so the first request is not 5 s slow."""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=None,
            max_body_bytes=_int(ENV_MAX_BODY, DEFAULT_MAX_BODY_BYTES),
            warmup=_bool(ENV_WARMUP, True),
        )
