"""Helpers shared by the NLP tests: read a text, find a finding by its evidence text."""

from __future__ import annotations

import pytest

from calcitrack.models import Finding, Report
from calcitrack.nlp import Reading, read_report


def read(text: str, lang: str | None = None) -> Reading:
    return read_report(Report(text=text, lang=lang))  # type: ignore[arg-type]


def finding(text: str, anchor: str, lang: str | None = None) -> Finding:
    """The finding whose evidence is ``anchor`` (the first one)."""
    reading = read(text, lang)
    for f in reading.findings:
        if f.evidence is not None and f.evidence.text == anchor:
            return f
    pytest.fail(f"no finding {anchor!r} in {[f.evidence.text for f in reading.findings if f.evidence]}")
