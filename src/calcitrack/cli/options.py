"""What every command module shares: the consoles, the common option types and JSON printing."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="database URL (default: CALCITRACK_DATABASE_URL, else the user's SQLite file)"),
]


def missing_sqlite_directory(url: str) -> Path | None:
    """The parent directory of a SQLite database file when it does not exist (else None, and None for
    PostgreSQL, in-memory SQLite or a URL SQLAlchemy cannot parse: the engine reports those itself).

    Why ``db upgrade`` asks: the engine creates a SQLite file's parent directories, which is right for
    calcitrack's own default location and wrong for a mistyped ``--database sqlite:///srv/calcitrak/r.db``,
    which silently made a new, empty registry in a new directory tree.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    parent = Path(parsed.database).expanduser().parent
    return None if parent.is_dir() else parent


class Lang(StrEnum):
    en = "en"
    fr = "fr"


class Fmt(StrEnum):
    """``--format`` of the commands whose output is text for a person or JSON for a script."""

    text = "text"
    json = "json"


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
