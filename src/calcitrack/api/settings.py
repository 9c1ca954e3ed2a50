"""Runtime settings of one API application: the process settings (``calcitrack.settings``) it uses.

Why a separate dataclass: tests (and embedders) build one directly for each app instead of setting
environment variables; ``from_env`` takes the values from the one settings object of the process.
"""

from __future__ import annotations

from dataclasses import dataclass

from calcitrack.settings import (
    DEFAULT_AUTH_LOCKOUT_SECONDS,
    DEFAULT_AUTH_MAX_FAILURES,
    DEFAULT_AUTH_WINDOW_SECONDS,
    DEFAULT_MAX_BODY_BYTES,
    ENV_AUTH_LOCKOUT,
    ENV_AUTH_MAX_FAILURES,
    ENV_AUTH_WINDOW,
    ENV_MAX_BODY,
    ENV_WARMUP,
    get_settings,
)

__all__ = [
    "API_PREFIX", "DEFAULT_AUTH_LOCKOUT_SECONDS", "DEFAULT_AUTH_MAX_FAILURES", "DEFAULT_AUTH_WINDOW_SECONDS",
    "DEFAULT_MAX_BODY_BYTES", "ENV_AUTH_LOCKOUT", "ENV_AUTH_MAX_FAILURES", "ENV_AUTH_WINDOW", "ENV_MAX_BODY",
    "ENV_WARMUP", "Settings",
]

API_PREFIX = "/api/v1"


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
    sweep_interval_seconds: int | None = None
    """Run the reminder ladder every this many seconds while the app runs (:mod:`calcitrack.api.schedule`);
    None: never (the default of a directly built app, e.g. in tests; ``from_env`` turns it on)."""

    @classmethod
    def from_env(cls) -> Settings:
        """From ``calcitrack.settings.get_settings()``; InvalidInput names a malformed variable."""
        env = get_settings()
        return cls(
            database_url=None,
            max_body_bytes=env.max_body_bytes,
            warmup=env.api_warmup,
            auth_max_failures=env.auth_max_failures,
            auth_window_seconds=env.auth_window_seconds,
            auth_lockout_seconds=env.auth_lockout_seconds,
            sweep_interval_seconds=env.sweep_interval_seconds if env.serve_sweep else None,
        )
