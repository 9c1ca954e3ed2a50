"""A cheap sentence splitter for regex-only steps (patient context, recommendations).

The EDS-NLP pipeline splits the sentences that hold a target; context and recommendation cues are read
over the whole report with regular expressions, where a plain split on sentence ends and line breaks is
enough and costs no tokenisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_BOUNDARY = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀ-Ý0-9(])|\n\s*\n|\n(?=\s*[A-ZÀ-Ý0-9-•*])")


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of sentence-like chunks of ``text``, whitespace trimmed."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        yield from _trim(text, start, m.start())
        start = m.end()
    yield from _trim(text, start, len(text))


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
