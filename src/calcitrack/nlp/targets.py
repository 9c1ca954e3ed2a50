"""Target matching: the calcification vocabulary of the lexicon, found on the raw report text.

Matching on the raw text (not on tokens) keeps exact character offsets for the evidence span, handles
prefixed compounds ("microcalcifications", "non-calcified", "néphrocalcinose") in one pattern, and lets
the reader decide which parts of the report need the EDS-NLP pipeline at all. Longer matches win over
overlapping shorter ones ("calcified granuloma" over "calcified").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from calcitrack.nlp.guards import GuardedRegex
from calcitrack.nlp.lexicon import TargetSpec, fold, get_lexicon


@dataclass(frozen=True)
class TargetMatch:
    start: int
    end: int
    text: str
    spec: TargetSpec


@cache
def _compiled(lang: str) -> list[tuple[GuardedRegex, TargetSpec, re.Pattern[str] | None]]:
    """Each target's regex, tried only where its literal prefix occurs: the phlebolith pattern is tried at each
    "phlebolith", not at every position of the report (same matches, see :mod:`calcitrack.nlp.guards`)."""
    return [
        (GuardedRegex.compile(spec.regex), spec, re.compile(spec.require_context) if spec.require_context else None)
        for spec in get_lexicon(lang).targets
    ]


def find_targets(text: str, lang: str) -> list[TargetMatch]:
    """Non-overlapping target matches in text order (earlier lexicon entries win ties).

    A target with a ``require_context`` is not searched at all in a text that lacks that context.
    """
    candidates: list[tuple[int, int, int, TargetSpec]] = []
    folded = fold(text)
    for rank, (regex, spec, context) in enumerate(_compiled(lang)):
        if context is not None and context.search(folded) is None:
            continue
        for match in regex.finditer(folded):
            word = match.group(0).lower()
            if any(bad in word for bad in spec.exclude):
                continue
            start, end = match.span()
            # a hyphenated prefix written as a separate word ("micro calcifications") is not part of the anchor
            while start < end and text[start] in " -\t":
                start += 1
            candidates.append((start, end, rank, spec))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    chosen: list[TargetMatch] = []
    last_end = -1
    for start, end, _, spec in candidates:
        if start < last_end:
            continue
        chosen.append(TargetMatch(start=start, end=end, text=text[start:end], spec=spec))
        last_end = end
    return chosen
