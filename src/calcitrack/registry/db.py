"""Engine, sessions, URL resolution and schema migrations of the registry.

Why one module: every face (CLI, benchmarks, tests) must resolve the database the same way
(``--database`` > ``CALCITRACK_DATABASE_URL`` > SQLite under the user data directory) and must get the
same connection settings (SQLite foreign keys and WAL, clear errors when a server is unreachable).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from calcitrack.errors import CalcitrackError

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = "CALCITRACK_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(CalcitrackError):
    """The database cannot be reached or is not at the expected schema revision."""


class StorageError(CalcitrackError):
    """The database refused one write (a constraint, a concurrent insert): that item failed, not the run."""


def default_url() -> str:
    """SQLite file under the platform's user data directory (created on first use)."""
    from platformdirs import user_data_dir

    directory = Path(user_data_dir("calcitrack"))
    return f"sqlite:///{directory / 'calcitrack.db'}"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: explicit argument, else ``CALCITRACK_DATABASE_URL``, else the default SQLite file.

    ``postgresql://`` and ``postgres://`` are rewritten to the psycopg 3 driver, the only one installed.
    """
    chosen = url or os.environ.get(ENV_URL) or default_url()
    for prefix in ("postgresql://", "postgres://"):
        if chosen.startswith(prefix):
            chosen = "postgresql+psycopg://" + chosen[len(prefix) :]
    return chosen


def safe_url(url: str) -> str:
    """The URL without its password, fit for an error message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL keeps readers off writers' backs and, with
    # synchronous=NORMAL, a killed process never leaves a half-written transaction.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None, *, pre_ping: bool = True) -> Engine:
    """A SQLAlchemy engine for ``url`` (resolved); SQLite parent directories are created.

    ``pre_ping`` tests pooled PostgreSQL connections before use: right for a long-running server that
    outlives database restarts, a wasted round trip per transaction for a short CLI process.
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise DatabaseError(f"invalid database URL {resolved!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"unsupported database {safe_url(resolved)}: use sqlite:/// or postgresql+psycopg://")
    try:
        return create_engine(resolved, pool_pre_ping=pre_ping, connect_args={"connect_timeout": 5})
    except Exception as exc:  # a missing driver or bad option: one line, not a traceback
        raise DatabaseError(f"cannot use database {safe_url(resolved)}: {exc}") from exc


def _alembic_config(connection: Any | None = None) -> Config:
    from alembic.config import Config  # Alembic is imported only when migrating (it is slow to import)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of calcitrack."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _unreachable(engine: Engine, exc: OperationalError) -> DatabaseError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return DatabaseError(f"cannot connect to database {safe_url(str(engine.url))}: {reason}")


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Create or migrate the schema; returns (revision before, revision after)."""
    from alembic import command

    try:
        with engine.begin() as connection:
            before = _current_revision(connection)
            command.upgrade(_alembic_config(connection), revision)
            after = _current_revision(connection)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    optimize(engine)
    return before, after


def _current_revision(connection: Any) -> str | None:
    """The schema revision stamped by Alembic, read with plain SQL (no Alembic import on every command)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()  # type: ignore[no-any-return]


def optimize(engine: Engine) -> None:
    """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does this by itself).

    Why: without statistics SQLite sorts every open follow-up for the worklist instead of walking the
    partial index ``ix_follow_ups_open_due``; analysing one table takes milliseconds.
    """
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE follow_ups")


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database that ``calcitrack db upgrade`` has not brought to the head revision."""
    try:
        with engine.connect() as connection:
            current = _current_revision(connection)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    head = head_revision()
    if current != head:
        state = "is not initialised" if current is None else f"is at revision {current}, expected {head}"
        raise DatabaseError(
            f"database {safe_url(str(engine.url))} {state}; run `calcitrack db upgrade`"
        )


def connect(url: str | None = None, *, check: bool = True) -> Engine:
    """Engine for a command-line process: checked to be reachable and (``check``) at the current revision."""
    engine = make_engine(url, pre_ping=False)
    if check:
        check_schema(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Every registry write goes through one."""
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with factory() as session, session.begin():
            yield session
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    except SQLAlchemyError as exc:  # one line for the user, never a traceback
        orig = getattr(exc, "orig", None)
        reason = (str(orig) if orig else str(exc)).strip().splitlines()[0]
        raise StorageError(f"the database refused the change: {reason}") from exc
