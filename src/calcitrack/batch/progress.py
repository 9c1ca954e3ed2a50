"""A Rich progress bar counting reports, with their rate (reports/s) — on a terminal only.

Why it is silent when stderr is not a terminal: scripts and CI capture stderr, where a redrawn bar is
noise; they get the one summary line the command prints at the end.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Reports per second since the start (steadier than Rich's sliding speed on chunked updates)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} reports/s", style="progress.data.speed")


class BatchProgress:
    """Context manager: ``advance(n)`` after each durable chunk."""

    def __init__(self, console: Console, total: int | None, label: str = "analysing") -> None:
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self.task = self.progress.add_task(label, total=total, completed=0)

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def advance(self, reports: int) -> None:
        self.progress.advance(self.task, reports)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()
