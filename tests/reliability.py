"""Rows of ``docs/reliability.md``, recorded by the hardening tests themselves.

Why the tests record their own rows: the table must say what was actually tried, so each check states
its figures (inputs tried, load, faults injected, result) from the run that just passed or failed, and
``scripts/reliability.py`` only gathers and prints them. A check that did not run has no row.

Two scales: the quick one runs in every ``scripts/test.sh`` (CI); ``CALCITRACK_RELIABILITY=full`` (set by
``scripts/reliability.py``) asks each check for the figures the issue sets (10,000 hostile inputs,
200 clients for 5 minutes, ...).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FULL = os.environ.get("CALCITRACK_RELIABILITY") == "full"
OUT_ENV = "CALCITRACK_RELIABILITY_OUT"


def scale(quick: int, full: int) -> int:
    """How many inputs, clients or seconds a check uses: ``full`` when generating the report."""
    return full if FULL else quick


@dataclass
class Row:
    """One line of the reliability table."""

    area: str  # fuzzing, load, faults or security
    check: str  # what is checked, e.g. "API fuzzing from the OpenAPI document (schemathesis)"
    inputs: str  # what was tried, with counts: "10,000 generated requests"
    load: str  # concurrency and duration, or "-"
    faults: str  # what was injected, or "-"
    result: str  # the measured outcome: "0 crashes, 0 5xx; 1,204 refusals, each with a reason"
    test: str = ""  # the pytest node id (filled in by the fixture)
    passed: bool = False  # filled in by the fixture from the test's outcome


class Recorder:
    """Collects a test's rows; the ``reliability`` fixture writes them with the test's outcome."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def row(self, *, area: str, check: str, inputs: str, load: str = "-", faults: str = "-", result: str) -> None:
        self.rows.append(Row(area=area, check=check, inputs=inputs, load=load, faults=faults, result=result))

    def flush(self, test: str, passed: bool, failure: str | None) -> None:
        """Append the rows (or one failure row if the test failed before recording) to the output file."""
        target = os.environ.get(OUT_ENV)
        if not target:
            return
        rows = self.rows or [Row(area="-", check=test, inputs="-", load="-", faults="-", result="")]
        with Path(target).open("a", encoding="utf-8") as out:
            for row in rows:
                row.test, row.passed = test, passed
                if not passed:
                    row.result = f"FAILED: {failure or 'see the pytest output'}"[:300]
                out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
