"""Report sections from their headers ("FINDINGS:", "IMPRESSION:", "Conclusion :", "LIVER:").

Headers are read with a regex on the raw text: a short title at the start of a line (or an all-capitals
title after a sentence end) followed by a colon. A header either names a section of the lexicon
(findings, impression, history, other; PMH / antécédents also mark findings as historical) or names an
organ ("LIVER:"), which later serves as the organ of a finding whose own sentence names none.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from calcitrack.models import Section
from calcitrack.nlp.lexicon import FLAGS, get_lexicon
from calcitrack.nlp.sites import organ_cues

_HEADER = re.compile(
    r"(?:^|\n)[ \t]*(?P<a>[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9 /&'().,-]{1,48}?)[ \t]*:"
    r"|(?:[.!?]\s+)(?P<b>[A-ZÀ-Ý][A-ZÀ-Ý0-9 /&'-]{2,40}?)[ \t]*:"
    r"|(?:[.!?;][ \t]+)(?P<c>[A-ZÀ-Ý][a-zà-ÿ]+(?:\s+[a-zà-ÿ]+){0,2})[ \t]*:"
)
"""Headers: a title at the start of a line (a), an all-capitals title after a sentence end (b), or a
capitalised title after a sentence end (c: "… CRP 280 mg/L. Antécédents : abcès en 2010"), kept only when it
names a history section: any capitalised word before a colon is not a header."""


@dataclass(frozen=True)
class Header:
    """A header and the region it governs (up to the next header)."""

    start: int
    end: int
    title: str
    section: Section | None
    historical: bool
    organ: bool = False
    """The header names an organ ("LIVER:"): it keeps the current section and gives its organ."""


@cache
def _section_rules(lang: str) -> list[tuple[re.Pattern[str], Section, bool]]:
    return [(re.compile(spec.regex, FLAGS), spec.section, spec.historical) for spec in get_lexicon(lang).sections]


def classify_header(title: str, lang: str) -> tuple[Section | None, bool]:
    """The section a header names (None when it names something else, e.g. an organ) and its history flag."""
    clean = " ".join(title.lower().split())
    for regex, section, historical in _section_rules(lang):
        if regex.fullmatch(clean):
            return section, historical
    return None, False


def find_headers(text: str, lang: str) -> list[Header]:
    """All headers of ``text`` in order; a header's ``end`` is the start of the next one."""
    found: list[tuple[int, str]] = []
    for match in _HEADER.finditer(text):
        group = "a" if match.group("a") else "b" if match.group("b") else "c"
        title = match.group(group)
        if len(title.split()) > 6:
            continue
        if group == "c" and classify_header(title, lang)[0] != Section.history:
            continue
        found.append((match.start(group), title))
    headers: list[Header] = []
    for i, (start, title) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        section, historical = classify_header(title, lang)
        organ = section is None and bool(organ_cues(title, lang))
        if section is None and not organ:
            section = Section.other  # "Medications:", "Physical exam:" ... end the previous section
        if section == Section.history or historical:
            # history, indication and comparison lines describe the patient or earlier examinations
            end = _history_end(text, start, end)
        headers.append(Header(start=start, end=end, title=title, section=section, historical=historical, organ=organ))
    return headers


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _history_end(text: str, start: int, end: int) -> int:
    """Where a history / indication section stops governing the text after it.

    "PAST HISTORY: treated tuberculosis" on one line describes the patient, not the findings that follow
    without a header: a history header with its content on the same line governs that line only; a
    history header alone on its line governs up to the next blank line (or the next header).
    """
    colon = text.find(":", start, end)
    line_end = text.find("\n", start, end)
    if line_end == -1:
        return end
    if colon != -1 and text[colon + 1:line_end].strip():
        return line_end
    blank = _BLANK_LINE.search(text, line_end, end)
    return blank.start() if blank else end


def section_at(headers: list[Header], offset: int) -> tuple[Section, bool]:
    """The section governing ``offset``: the last section header before it (findings when none).

    Headers are in text order: a binary search finds the last one starting at or before ``offset``, and
    the walk back stops at the first that governs, so a report with thousands of headers is not scanned
    from its start for every mention (that made long reports quadratic).
    """
    for i in range(bisect_right(headers, offset, key=_start) - 1, -1, -1):
        header = headers[i]
        if (header.section == Section.history or header.historical) and offset >= header.end:
            continue  # a history or comparison line does not govern the findings written after it
        if header.section is not None:
            return header.section, header.historical
    return Section.findings, False


def header_at(headers: list[Header], offset: int) -> Header | None:
    """The header whose region contains ``offset`` (any kind), or None (binary search: headers are in order)."""
    i = bisect_right(headers, offset, key=_start)
    return headers[i - 1] if i else None


def _start(header: Header) -> int:
    return header.start
