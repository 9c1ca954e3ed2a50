"""Every setting calcitrack reads from the environment, in one object read once per process.

Why the environment: ``calcitrack serve --workers N`` starts worker processes that rebuild the app from an
import string, so anything the command line sets must travel through ``os.environ``; the CLI, the KB
loader and the registry read the same variables. Why once: a value cannot change under a running
process, and a malformed one is one error line naming the variable, wherever it is first needed.

Code that changes ``os.environ`` on purpose (``serve``, tests with ``monkeypatch.setenv``) calls
``get_settings.cache_clear()`` afterwards.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from calcitrack.errors import InvalidInput

PREFIX = "CALCITRACK_"
ENV_KB_DIR = "CALCITRACK_KB_DIR"
ENV_POLICY = "CALCITRACK_POLICY"
ENV_DATABASE_URL = "CALCITRACK_DATABASE_URL"
ENV_SECRET_KEY = "CALCITRACK_SECRET_KEY"
ENV_PUBLIC_URL = "CALCITRACK_PUBLIC_URL"
ENV_MAX_BODY = "CALCITRACK_MAX_BODY_BYTES"
ENV_WARMUP = "CALCITRACK_API_WARMUP"
ENV_AUTH_MAX_FAILURES = "CALCITRACK_AUTH_MAX_FAILURES"
ENV_AUTH_WINDOW = "CALCITRACK_AUTH_WINDOW_SECONDS"
ENV_AUTH_LOCKOUT = "CALCITRACK_AUTH_LOCKOUT_SECONDS"
ENV_CORPUS = "CALCITRACK_CORPUS"

DEFAULT_AUTH_MAX_FAILURES = 10
"""Failed authentications (wrong, unknown, revoked or malformed key) per client address or key prefix ..."""
DEFAULT_AUTH_WINDOW_SECONDS = 60
"""... within this many seconds ..."""
DEFAULT_AUTH_LOCKOUT_SECONDS = 300
"""... lock that address or prefix out for this long (429 with Retry-After). A legit client never fails."""
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
"""5 MiB: a long report is ~50 kB, a batch of 100 reports well under this; larger bodies get 413."""


class CalcitrackSettings(BaseSettings):
    """The ``CALCITRACK_*`` variables; an unset or empty variable takes the default."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    kb_dir: Path | None = None
    """``CALCITRACK_KB_DIR``: read the KB from this directory (an edited copy) instead of the packaged data."""
    policy: str | None = None
    """``CALCITRACK_POLICY``: the KB policy when no ``--policy`` is given; unset: the KB's default."""
    database_url: str | None = None
    """``CALCITRACK_DATABASE_URL``: the registry; unset: the user's SQLite file (``registry/db.py``)."""
    secret_key: str | None = Field(default=None, repr=False)
    """``CALCITRACK_SECRET_KEY``: signs web sessions; unset: random per process (``serve --workers N``
    generates one and passes it to its workers)."""
    public_url: str | None = None
    """``CALCITRACK_PUBLIC_URL``: the base URL CDS Hooks cards link to (behind a proxy)."""
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1)
    """``CALCITRACK_MAX_BODY_BYTES``: larger request bodies get 413."""
    api_warmup: bool = True
    """``CALCITRACK_API_WARMUP``: load the KB and the NLP pipelines when the API starts."""
    auth_max_failures: int = Field(default=DEFAULT_AUTH_MAX_FAILURES, ge=0)
    """``CALCITRACK_AUTH_MAX_FAILURES``: 0 disables the failed-authentication limit."""
    auth_window_seconds: int = Field(default=DEFAULT_AUTH_WINDOW_SECONDS, ge=1)
    """``CALCITRACK_AUTH_WINDOW_SECONDS``."""
    auth_lockout_seconds: int = Field(default=DEFAULT_AUTH_LOCKOUT_SECONDS, ge=1)
    """``CALCITRACK_AUTH_LOCKOUT_SECONDS``."""
    corpus: Path | None = None
    """``CALCITRACK_CORPUS``: where ``eval`` finds the gold corpus's reports."""
    serve_sweep: bool = True
    """``CALCITRACK_SERVE_SWEEP``: ``calcitrack serve`` runs the reminder ladder on a schedule (false: leave
    it to a ``calcitrack follow-up sweep`` cron job)."""
    sweep_interval_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    """``CALCITRACK_SWEEP_INTERVAL_SECONDS``: how often ``serve`` runs the reminder ladder (first run at start)."""
    # Notifications (docs/notifications.md): each channel is off until switched on.
    notify_email: bool = False
    """``CALCITRACK_NOTIFY_EMAIL``: send follow-up notices by e-mail (SMTP)."""
    notify_fhir: bool = False
    """``CALCITRACK_NOTIFY_FHIR``: POST follow-up notices as FHIR R4 ``Communication`` resources."""
    smtp_host: str = "localhost"
    """``CALCITRACK_SMTP_HOST``."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    """``CALCITRACK_SMTP_PORT``."""
    smtp_from: str = "calcitrack@localhost"
    """``CALCITRACK_SMTP_FROM``: the sender address of notices."""
    smtp_starttls: bool = False
    """``CALCITRACK_SMTP_STARTTLS``: upgrade the connection with STARTTLS before sending."""
    smtp_username: str | None = None
    """``CALCITRACK_SMTP_USERNAME``: log in with this user (and ``CALCITRACK_SMTP_PASSWORD``) when set."""
    smtp_password: str | None = Field(default=None, repr=False)
    """``CALCITRACK_SMTP_PASSWORD``."""
    fhir_base_url: str | None = None
    """``CALCITRACK_FHIR_BASE_URL``: the FHIR server notices are POSTed to (``<base>/Communication``)."""
    fhir_token: str | None = Field(default=None, repr=False)
    """``CALCITRACK_FHIR_TOKEN``: sent as ``Authorization: Bearer <token>`` when set."""
    notify_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    """``CALCITRACK_NOTIFY_TIMEOUT_SECONDS``: connect/read timeout of one delivery attempt."""
    notify_due_soon_days: int = Field(default=7, ge=0)
    """``CALCITRACK_NOTIFY_DUE_SOON_DAYS``: a "due soon" notice goes out this many days before the due date."""
    notify_max_attempts: int = Field(default=10, ge=1)
    """``CALCITRACK_NOTIFY_MAX_ATTEMPTS``: after this many failed attempts a notice is marked ``failed``."""
    notify_backoff_seconds: int = Field(default=60, ge=1)
    """``CALCITRACK_NOTIFY_BACKOFF_SECONDS``: wait after the first failure; doubled after each further one."""
    notify_backoff_max_seconds: int = Field(default=6 * 3600, ge=1)
    """``CALCITRACK_NOTIFY_BACKOFF_MAX_SECONDS``: the longest wait between two attempts."""


@lru_cache(maxsize=1)
def get_settings() -> CalcitrackSettings:
    """The settings of this process, read from the environment on first use; InvalidInput names a bad one."""
    try:
        return CalcitrackSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = PREFIX + str(first["loc"][0]).upper() if first.get("loc") else "environment"
        message = str(first["msg"])
        raise InvalidInput(f"{name}: {message[:1].lower() + message[1:]}, got {first.get('input')!r}") from exc
