"""Engine, sessions, URL resolution and schema migrations of the registry.

Why one module: every face (CLI, benchmarks, tests) must resolve the database the same way
(``--database`` > ``CALCITRACK_DATABASE_URL`` > SQLite under the user data directory) and must get the
same connection settings (SQLite foreign keys and WAL, clear errors when a server is unreachable).
"""

from __future__ import annotations

import shutil
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from calcitrack.errors import RegistryError
from calcitrack.settings import ENV_DATABASE_URL, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = ENV_DATABASE_URL
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RegistryError):
    """The database cannot be reached or is not at the expected schema revision."""


class StorageError(RegistryError):
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
    chosen = url or get_settings().database_url or default_url()
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
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


SQLITE_BUSY_TIMEOUT_S = 10
"""How long a SQLite transaction waits for another process's write lock before giving up."""

_SQLITE_TURNS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
"""One lock per SQLite engine: the threads of a process take turns for their transactions."""


def _turn(engine: Engine) -> AbstractContextManager[Any]:
    """The SQLite engine's turn lock (nothing for PostgreSQL, which locks rows, not the database).

    Why: SQLite has one write lock per database, and its busy handler makes waiters poll with growing
    sleeps, unordered. Under load (an API worker runs up to 40 request threads) a waiter can lose the race
    again and again until ``busy_timeout`` expires - a 503 for a request that only had to queue. Queuing
    the threads of a process on a lock instead leaves SQLite to arbitrate between processes only (the
    few ``--workers``), so no transaction waits for the lock longer than a handful of others take.
    """
    lock = _SQLITE_TURNS.get(engine)
    return lock if lock is not None else nullcontext()


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
        _SQLITE_TURNS[engine] = threading.RLock()
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


_DISK_FULL_SQLSTATE = "53100"  # PostgreSQL disk_full
_DISK_FULL_MESSAGES = ("database or disk is full", "no space left on device", "could not extend file")


_LOW_SPACE_BYTES = 1 << 20
"""Below this much free space, a SQLite "disk I/O error" is taken to be the full disk it almost surely is."""


def is_disk_full(exc: BaseException, engine: Engine | None = None) -> bool:
    """Whether a driver error means the database's disk (or its SQLite file system) is full.

    SQLite reports a full disk as SQLITE_FULL ("database or disk is full") when a page write fails, but as
    SQLITE_IOERR ("disk I/O error") when the WAL index or journal cannot grow, without the errno; then the
    free space of the database's directory decides.
    """
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) == _DISK_FULL_SQLSTATE:
        return True
    message = str(orig).lower()
    if any(fragment in message for fragment in _DISK_FULL_MESSAGES):
        return True
    if "disk i/o error" in message and engine is not None and engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            try:
                return shutil.disk_usage(Path(database).expanduser().parent).free < _LOW_SPACE_BYTES
            except OSError:
                return False
    return False


def _unreachable(engine: Engine, exc: OperationalError) -> DatabaseError:
    """One clear line for an operational failure: a full disk is named as such, not as a lost connection."""
    if is_disk_full(exc, engine):
        return DatabaseError(
            f"disk full: no space left on the database's disk ({safe_url(str(engine.url))}); the change was"
            " not stored (earlier ones are intact) - free space, then run the same command again"
        )
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if "database is locked" in reason:
        return DatabaseError(
            f"database {safe_url(str(engine.url))} is busy: another process held its write lock for more than"
            f" {SQLITE_BUSY_TIMEOUT_S} s; nothing was changed - try again"
        )
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


_LAST_OPTIMIZE: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def optimize(engine: Engine, *, at_most_every: float = 0.0) -> None:
    """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does this by itself).

    Why: without statistics SQLite sorts every open follow-up for the worklist instead of walking the
    partial index ``ix_follow_ups_open_due``; analysing one table takes milliseconds. ``at_most_every``
    (seconds) skips the refresh when this process did it that recently: a server ingesting one report per
    request would otherwise scan the table and take the write lock a second time for every report.
    """
    if engine.dialect.name == "sqlite":
        now = time.monotonic()
        last = _LAST_OPTIMIZE.get(engine)
        if last is not None and now - last < at_most_every:
            return
        _LAST_OPTIMIZE[engine] = now
        try:
            with _turn(engine), engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE follow_ups")
        except OperationalError as exc:  # a full disk or a lost database: one line, not a traceback
            raise _unreachable(engine, exc) from exc


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
        with _turn(engine), factory() as session, session.begin():
            yield session
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    except SQLAlchemyError as exc:  # one line for the user, never a traceback
        orig = getattr(exc, "orig", None)
        reason = (str(orig) if orig else str(exc)).strip().splitlines()[0]
        raise StorageError(f"the database refused the change: {reason}") from exc
