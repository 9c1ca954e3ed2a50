"""The progress bar: counts reports and their rate on a terminal, and writes nothing elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from calcitrack.batch.progress import BatchProgress, RateColumn


def test_on_a_terminal_the_bar_counts_every_chunk_reported() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with BatchProgress(console, total=25) as progress:
        for size in (10, 10, 5):
            progress.advance(size)
        task = progress.progress.tasks[0]
        assert (task.completed, task.total, task.finished) == (25, 25, True)
    shown = out.getvalue()
    assert "analysing" in shown and "25/25" in shown and "reports/s" in shown


def test_without_a_terminal_nothing_is_written_but_reports_are_still_counted() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with BatchProgress(console, total=None) as progress:  # a CSV input: the total is not known in advance
        progress.advance(7)
        progress.advance(3)
        assert progress.progress.tasks[0].completed == 10
    assert out.getvalue() == ""


def test_rate_column_is_reports_per_second_since_the_start() -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    with BatchProgress(console, total=100) as progress:
        task = progress.progress.tasks[0]
        assert RateColumn().render(task).plain == "0 reports/s"  # nothing done yet
        progress.advance(40)
        before = task.elapsed or 0.0
        shown = RateColumn().render(task).plain
        after = task.elapsed or 0.0
        assert 0 < before <= after and shown.endswith(" reports/s")
        assert 40 / after - 1 <= float(shown.split()[0].replace(",", "")) <= 40 / before + 1
