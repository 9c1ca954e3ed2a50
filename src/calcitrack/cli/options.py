"""What every command module shares: the consoles, the common option types and JSON printing."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="database URL (default: CALCITRACK_DATABASE_URL, else the user's SQLite file)"),
]


class Lang(StrEnum):
    en = "en"
    fr = "fr"


class Fmt(StrEnum):
    """``--format`` of the commands whose output is text for a person or JSON for a script."""

    text = "text"
    json = "json"


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
