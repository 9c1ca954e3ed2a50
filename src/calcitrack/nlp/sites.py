"""Organ and site of a finding.

The organ is the nearest organ cue to the target in its own sentence (the target word itself counts:
"néphrocalcinose" is renal); failing that, the organ named by the section header ("LIVER:"); failing
that, the nearest cue of the previous sentence; failing that, ``other``. ``other`` is the safe default:
the engine never guesses for organs out of scope. Couinaud segments are normalised to Roman numerals
(``segment_VII`` from "segment 7", "S7", "SVII", "7e segment"); soft-tissue findings next to a joint get
``periarticular_<joint>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from calcitrack.models import Organ
from calcitrack.nlp.lexicon import FLAGS, get_lexicon

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI", "7": "VII", "8": "VIII"}


@dataclass(frozen=True)
class OrganCueMatch:
    organ: Organ
    start: int
    end: int
    text: str
    site: str | None
    detail: str | None
    weak: bool = False


@dataclass(frozen=True)
class Placement:
    organ: Organ
    site: str | None = None
    detail: str | None = None


@cache
def _cues(lang: str) -> list[tuple[re.Pattern[str], Organ, str | None, str | None, bool]]:
    lex = get_lexicon(lang)
    return [
        (re.compile(cue.regex, FLAGS), organ, cue.site, cue.detail, cue.weak)
        for organ, cues in lex.organs.items()
        for cue in cues
    ]


@cache
def _joints(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(regex, FLAGS)) for name, regex in get_lexicon(lang).joints.items()]


@cache
def _segments(lang: str) -> list[re.Pattern[str]]:
    return [re.compile(regex, FLAGS) for regex in get_lexicon(lang).segments]


def organ_cues(text: str, lang: str, offset: int = 0) -> list[OrganCueMatch]:
    """Organ cues in ``text``; at one position the longest cue wins."""
    found: list[OrganCueMatch] = []
    for regex, organ, site, detail, weak in _cues(lang):
        for m in regex.finditer(text):
            found.append(OrganCueMatch(organ, m.start() + offset, m.end() + offset, m.group(0), site, detail, weak))
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[OrganCueMatch] = []
    for cue in found:
        if kept and cue.start < kept[-1].end:
            # overlapping cues: keep the longer one, or the more specific (with a site) of equal length
            prev = kept[-1]
            if (cue.end - cue.start, cue.site is not None) > (prev.end - prev.start, prev.site is not None):
                kept[-1] = cue
            continue
        kept.append(cue)
    return kept


def nearest_cue(cues: list[OrganCueMatch], start: int, end: int) -> OrganCueMatch | None:
    """The cue closest to the span [start, end) (distance 0 when it overlaps); weak cues only when alone."""
    best: tuple[int, OrganCueMatch] | None = None
    strong = [cue for cue in cues if not cue.weak]
    for cue in strong or cues:
        if cue.end <= start:
            distance = start - cue.end
        elif cue.start >= end:
            distance = cue.start - end
        else:
            distance = 0
        if best is None or distance < best[0]:
            best = (distance, cue)
    return best[1] if best else None


def choose_cue(
    cues: list[OrganCueMatch], start: int, end: int, clause: tuple[int, int]
) -> OrganCueMatch | None:
    """The organ of a target from its sentence's cues.

    A cue in the target's own clause wins (nearest first); otherwise the nearest cue *before* the
    target, because the containing structure is usually named first ("a thyroid collection holding air
    and calcifications, extending to the muscle plane"); otherwise the nearest cue after it.
    """
    in_clause = [c for c in cues if c.start >= clause[0] and c.end <= clause[1]]
    if in_clause:
        return nearest_cue(in_clause, start, end)
    before = [c for c in cues if c.end <= start]
    if before:
        return nearest_cue(before, start, end)
    return nearest_cue(cues, start, end)


def liver_site(sentence: str, lang: str) -> str | None:
    """Couinaud segment named in the sentence, as ``segment_<ROMAN>`` (first one when several)."""
    for regex in _segments(lang):
        m = regex.search(sentence)
        if m:
            raw = m.group(1).lower()
            suffix = raw[-1] if raw[-1] in "ab" and raw not in ("a", "b") else ""
            core = raw[: -1] if suffix else raw
            roman = ROMAN.get(core, core.upper())
            return f"segment_{roman}{suffix}"
    return None


def joint_site(sentence: str, lang: str) -> str | None:
    """``periarticular_<joint>`` for the first joint named in the sentence."""
    for name, regex in _joints(lang):
        if regex.search(sentence):
            return f"periarticular_{name}"
    return None


def place(cue: OrganCueMatch, sentence: str, lang: str) -> Placement:
    """Organ, site and detail from the chosen cue and the words of the sentence."""
    if cue.organ == Organ.other:
        return Placement(Organ.other, None, cue.text.lower())
    site = cue.site
    if cue.organ == Organ.liver:
        site = liver_site(sentence, lang) or site
    elif cue.organ == Organ.soft_tissue and site in (None, "periarticular"):
        site = joint_site(sentence, lang) or site
    return Placement(cue.organ, site, None)
