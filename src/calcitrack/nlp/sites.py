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
from calcitrack.nlp.lexicon import FLAGS, OrganCue, get_lexicon

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
    also: Organ | None = None


@dataclass(frozen=True)
class Placement:
    organ: Organ
    site: str | None = None
    detail: str | None = None
    also: Organ | None = None
    """A second organ named by the same cue ("hepatosplenic"): the mention is reported for both."""


@cache
def _cues(lang: str) -> list[tuple[re.Pattern[str], Organ, OrganCue, re.Pattern[str] | None]]:
    lex = get_lexicon(lang)
    return [
        (re.compile(cue.regex, FLAGS), organ, cue, re.compile(cue.requires, FLAGS) if cue.requires else None)
        for organ, cues in lex.organs.items()
        for cue in cues
    ]


@cache
def _liver_sites(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(site, re.compile(regex, FLAGS)) for site, regex in get_lexicon(lang).liver_sites.items()]


@cache
def _joints(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(regex, FLAGS)) for name, regex in get_lexicon(lang).joints.items()]


@cache
def _segments(lang: str) -> list[re.Pattern[str]]:
    return [re.compile(regex, FLAGS) for regex in get_lexicon(lang).segments]


@cache
def _distant(lang: str) -> re.Pattern[str]:
    return re.compile(get_lexicon(lang).distant_before, FLAGS)


def _primary(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lex = get_lexicon(lang)
    return (re.compile(lex.primary_before, FLAGS), re.compile(lex.primary_link, FLAGS),
            re.compile(lex.primary_after, FLAGS))


def names_a_primary_tumour(text: str, start: int, end: int, lang: str) -> bool:
    """The organ word at [start, end) names where a primary tumour lies, not where the finding lies.

    "calcified metastasis from the known colon cancer", "métastase d'un adénocarcinome du côlon": the
    colon is the primary's organ; the calcification is elsewhere (where the rest of the sentence says).
    """
    before, link, after = _primary(lang)
    head = text[max(0, start - 60):start]
    if before.search(head):
        return True
    return link.search(head) is not None and after.match(text, end, min(len(text), end + 40)) is not None


def organ_cues(text: str, lang: str, offset: int = 0) -> list[OrganCueMatch]:
    """Organ cues in ``text``; at one position the longest cue wins.

    Out-of-scope organ words that name a primary tumour ("metastasis from colon cancer") are not cues.
    """
    found: list[OrganCueMatch] = []
    distant = _distant(lang)
    for regex, organ, spec, requires in _cues(lang):
        if requires is not None and not requires.search(text):
            continue
        for m in regex.finditer(text):
            if organ == Organ.other and names_a_primary_tumour(text, m.start(), m.end(), lang):
                continue
            if distant.search(text, max(0, m.start() - 30), m.start()):
                continue  # "à distance des voies biliaires": where the finding is not
            found.append(OrganCueMatch(
                organ, m.start() + offset, m.end() + offset, m.group(0), spec.site, spec.detail, spec.weak, spec.also))
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
    before = [c for c in cues if c.end <= start]
    if in_clause and all(c.weak for c in in_clause) and any(not c.weak for c in before):
        # "Foie : calcification séquellaire d'un abcès": a weak cue of the clause loses to the organ
        # named before the target
        return nearest_cue([c for c in before if not c.weak], start, end)
    if in_clause:
        return nearest_cue(in_clause, start, end)
    if before:
        return nearest_cue(before, start, end)
    return nearest_cue(cues, start, end)


def liver_site(sentence: str, lang: str) -> str | None:
    """Couinaud segment named in the sentence, as ``segment_<ROMAN>`` (first one when several); else a
    named part of the liver (``liver_sites``: right/left lobe, dome ...)."""
    for regex in _segments(lang):
        m = regex.search(sentence)
        if m:
            raw = m.group(1).lower()
            suffix = raw[-1] if raw[-1] in "ab" and raw not in ("a", "b") else ""
            core = raw[: -1] if suffix else raw
            roman = ROMAN.get(core, core.upper())
            return f"segment_{roman}{suffix}"
    for site, regex in _liver_sites(lang):
        if regex.search(sentence):
            return site
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
    return Placement(cue.organ, site, None, cue.also)
