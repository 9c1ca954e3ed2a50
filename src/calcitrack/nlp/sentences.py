"""Sentence segmentation: the one boundary rule of the reader, and the token-level pipe that agrees with it.

Where text is read with regular expressions and no tokens (the windows the EDS-NLP pipeline runs on, the
cheap check of a target's required context, patient context, the report's own recommendations), a
sentence ends at ``BOUNDARY``: sentence-final punctuation (or ``;``) before whitespace and a capital, digit
or bracket; a blank line; a line break before a capital, digit or list bullet. :func:`split_sentences`
cuts a text there.

Where a :class:`spacy.tokens.Doc` exists (the window around a target, where the qualifiers and the
finding's own sentence need tokens), EDS-NLP's ``eds.sentences`` sets the sentence starts
(:func:`add_token_splitter`). Why it is kept: it marks sentence starts from token shapes and tokenizer
exceptions ("Inc." is one token), and replacing it by ``BOUNDARY`` changed the findings of 4 of 1,241
corpus reports (MTSamples, E3C, DrLef templates, gold sets); the windows are cut at ``BOUNDARY`` and read
the same as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

BOUNDARY = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀ-Ý0-9(])|\n\s*\n|\n(?=\s*[A-ZÀ-Ý0-9-•*])")
"""A boundary between two sentences: ``m.start()`` ends the previous one (its punctuation included),
``m.end()`` starts the next."""

TOKEN_SPLITTER = "eds.sentences"


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of sentence-like chunks of ``text``, whitespace trimmed."""
    start = 0
    for m in BOUNDARY.finditer(text):
        yield from _trim(text, start, m.start())
        start = m.end()
    yield from _trim(text, start, len(text))


def add_token_splitter(nlp: Any) -> None:
    """Add the token-level sentence pipes to an EDS-NLP pipeline (after the normaliser)."""
    from calcitrack.nlp.list_items import LIST_ITEMS  # registers the factory

    nlp.add_pipe(TOKEN_SPLITTER)
    nlp.add_pipe(LIST_ITEMS)


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
