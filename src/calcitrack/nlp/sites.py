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
from dataclasses import dataclass, replace
from functools import cache, lru_cache

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
def segment_regexes(lang: str) -> list[re.Pattern[str]]:
    """The lexicon's Couinaud segment designations ("segment 7", "S7", "7e segment"), compiled once."""
    return [re.compile(regex, FLAGS) for regex in get_lexicon(lang).segments]


@cache
def _distant(lang: str) -> re.Pattern[str]:
    return re.compile(get_lexicon(lang).distant_before, FLAGS)


@lru_cache(maxsize=2)
def _beside(lang: str) -> re.Pattern[str]:
    """A landmark ("adjacent to the portal vein") or an alternative reading ("or a vessel seen in section")."""
    lex = get_lexicon(lang)
    return re.compile(f"(?:{lex.beside_before})|(?:{lex.alternative_cue_before})", FLAGS)


@cache
def _landmark(lang: str) -> re.Pattern[str]:
    """A landmark only: "a focus in segment IV adjacent to the gallbladder fossa" is not in the gallbladder,
    whatever the organ; an in-scope organ offered as an alternative ("liver or spleen") stays a cue."""
    return re.compile(get_lexicon(lang).landmark_before, FLAGS)


_CALCIFIED_HEAD = re.compile(r"\s*(?:\w+\s+)?(?:micro)?(?:calc|lith|stone|echogen|hyper[ée]ch)", FLAGS)
"""A calcification word right after an organ word: a denial before the organ takes the finding with it
("no peritoneal calcification")."""
_CALCIFIED_WORD = re.compile(r"\b(?:micro)?(?:calc|lith)", FLAGS)
"""A calcification word among the words a denial puts before an organ word: the denial takes the finding
with its organ ("pas de calcification péritonéale")."""


@lru_cache(maxsize=2)
def _shape_after(lang: str) -> re.Pattern[str]:
    return re.compile(get_lexicon(lang).shape_after, FLAGS)


@lru_cache(maxsize=2)
def _denied_structure(lang: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + get_lexicon(lang).denied_structure_before + r")", FLAGS)


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
    """Organ cues in ``text`` (positions shifted by ``offset``); at one position the longest cue wins.

    Out-of-scope organ words that name a primary tumour ("metastasis from colon cancer") are not cues.
    """
    cues = _organ_cues(text, lang)
    if not offset:
        return list(cues)
    return [replace(c, start=c.start + offset, end=c.end + offset) for c in cues]


@lru_cache(maxsize=4096)
def _organ_cues(text: str, lang: str) -> tuple[OrganCueMatch, ...]:
    """The cues of one piece of text, remembered: a report asks for the same sentence and the same header
    title once per mention it holds, and an archive repeats its section titles on every report."""
    found: list[OrganCueMatch] = []
    distant, beside, denied = _distant(lang), _beside(lang), _denied_structure(lang)
    landmark = _landmark(lang)
    shape = _shape_after(lang)
    for regex, organ, spec, requires in _cues(lang):
        if requires is not None and not requires.search(text):
            continue
        for m in regex.finditer(text):
            if organ == Organ.other and names_a_primary_tumour(text, m.start(), m.end(), lang):
                continue
            if distant.search(text, max(0, m.start() - 30), m.start()):
                continue  # "à distance des voies biliaires": where the finding is not
            if shape.match(text, m.end()):
                continue  # "plaque-like calcification": a shape, not a vessel wall
            # "calcification adjacent to the portal vein": a structure named as a landmark beside the finding
            # is a weak cue (an organ header or another cue of the sentence says where the finding is); so is
            # one offered as another reading of it ("une calcification ou un vaisseau vu en coupe")
            weak = spec.weak or (beside.search(text, max(0, m.start() - 30), m.start()) is not None and (
                organ == Organ.other or landmark.search(text, max(0, m.start() - 30), m.start()) is not None))
            # "pas de dilatation des voies biliaires, hormis une calcification": named for what it lacks; but
            # in "no peritoneal calcification" the denial takes the calcification with its organ
            lacking = denied.search(text, max(0, m.start() - 40), m.start())
            weak = weak or (
                lacking is not None
                and not _CALCIFIED_WORD.search(lacking.group())
                and not _CALCIFIED_HEAD.match(text, m.end())
            )
            found.append(OrganCueMatch(
                organ, m.start(), m.end(), m.group(0), spec.site, spec.detail, bool(weak), spec.also))
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
    return tuple(kept)


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
    # after the target and outside its clause, a weak cue ("… calcifications on x-ray, an ankle
    # tourniquet") names something else
    return nearest_cue([c for c in cues if not c.weak], start, end)


def _named_part(sentence: str, lang: str) -> str | None:
    for site, regex in _liver_sites(lang):
        if regex.search(sentence):
            return site
    return None


def liver_site(sentence: str, lang: str) -> str | None:
    """Couinaud segment named in the sentence, as ``segment_<ROMAN>`` (first one when several); else a
    named part of the liver (``liver_sites``: right/left lobe, dome ...).

    Several segments named together ("segments VII-VIII", "segments II/III") locate less precisely than a
    named part of the same sentence ("dome", "left lobe"): the named part wins then.
    """
    joined = re.compile(get_lexicon(lang).segment_range, FLAGS)
    for regex in segment_regexes(lang):
        m = regex.search(sentence)
        if m:
            if joined.match(sentence[m.end():]):
                part = _named_part(sentence, lang)
                if part is not None and part != "segment_I":
                    return part
            raw = m.group(1).lower()
            suffix = raw[-1] if raw[-1] in "ab" and raw not in ("a", "b") else ""
            core = raw[: -1] if suffix else raw
            roman = ROMAN.get(core, core.upper())
            return f"segment_{roman}{suffix}"
    return _named_part(sentence, lang)


@cache
def _regions(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(regex, FLAGS)) for name, regex in get_lexicon(lang).regions.items()]


def region_site(texts: list[str], lang: str, layer: str | None) -> str | None:
    """Soft-tissue site from the first of ``texts`` (clause, sentence, examination title) that names a joint
    or a body region: ``periarticular_<joint>``, else ``<layer>_<region>`` ("subcutaneous_thigh") or
    ``<region>`` ("calf")."""
    for text in texts:
        joint = joint_site(text, lang)
        if joint is not None:
            return joint if layer in (None, "periarticular") else f"{layer}_{joint.removeprefix('periarticular_')}"
        for name, regex in _regions(lang):
            if regex.search(text):
                return f"{layer}_{name}" if layer else name
    return None


@cache
def _sides(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(regex, FLAGS)) for name, regex in get_lexicon(lang).duct_sides.items()]


def duct_side(site: str | None, clause: str, lang: str) -> str | None:
    """``left_intrahepatic_ducts`` / ``right_…`` when the target's clause names one side of the ducts."""
    if site != "intrahepatic_duct":
        return site
    found = [name for name, regex in _sides(lang) if regex.search(clause)]
    return found[0] if len(found) == 1 else site


def joint_site(sentence: str, lang: str) -> str | None:
    """``periarticular_<joint>`` for the first joint named in the sentence."""
    for name, regex in _joints(lang):
        if regex.search(sentence):
            return f"periarticular_{name}"
    return None


def place(
    cue: OrganCueMatch, sentence: str, lang: str, *, clause: str | None = None, title: str | None = None
) -> Placement:
    """Organ, site and detail from the chosen cue and the words of the sentence.

    ``clause``: the target's own clause (a side of the intrahepatic ducts, a body region is read there
    first); ``title``: the examination title (first line), the last place a soft-tissue region is read from.
    """
    if cue.organ == Organ.other:
        return Placement(Organ.other, None, cue.text.lower())
    site = cue.site
    if cue.organ == Organ.liver:
        site = liver_site(sentence, lang) or site
    elif cue.organ == Organ.soft_tissue and site in (None, "periarticular", "subcutaneous"):
        texts = [t for t in (clause, sentence, title) if t]
        site = region_site(texts, lang, site) or site
    elif cue.organ == Organ.biliary:
        site = duct_side(site, clause if clause is not None else sentence, lang)
    return Placement(cue.organ, site, None, cue.also)
