"""The ``calcitrack`` command: one Typer app, commands contributed by one module per area.

Every command turns a :class:`~calcitrack.errors.CalcitrackError` (and KB or validation errors) into
one line on stderr and exit code 2, so scripts can rely on exit codes and users never see a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any

import typer
from pydantic import ValidationError

from calcitrack.cli.options import err_console
from calcitrack.errors import CalcitrackError
from calcitrack.kb.loader import KBError

app = typer.Typer(
    name="calcitrack",
    help="Calcification findings in imaging reports: understand, assess, explain, track.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INPUT = 2
"""Exit code for bad input or an invalid knowledge base (1 is left for 'ran, but found a problem')."""

# One module per area; each defines ``register(app)``. Keep this list sorted by area.
COMMAND_MODULES = (
    "calcitrack.cli.core_cmds",
    "calcitrack.cli.nlp_cmds",
    "calcitrack.cli.batch_cmds",
    "calcitrack.cli.explain_cmds",
    "calcitrack.cli.registry_cmds",
    "calcitrack.cli.api_cmds",
    "calcitrack.cli.interop_cmds",
    "calcitrack.cli.notify_cmds",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = import_module(name)
        module.register(app)


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the field and the problem, from a pydantic error."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or exc.title
    return f"invalid value for {field}: {first['msg']}"


def fail(message: str, code: int = EXIT_INPUT) -> None:
    """Print one error line and exit; used by commands for problems they detect themselves."""
    err_console.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the console script."""
    _register_all()
    command: Callable[..., Any] = typer.main.get_command(app)
    try:
        return command(args=argv, standalone_mode=True)
    except (CalcitrackError, KBError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(EXIT_INPUT)
    except ValidationError as exc:
        err_console.print(f"error: {describe_validation_error(exc)}", markup=False)
        sys.exit(EXIT_INPUT)
