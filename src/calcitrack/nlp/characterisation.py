"""What the radiologist calls a calcification: the report's own words read as labels (clinical reference §3.3).

"Calcification in segment VII, consistent with a calcified granuloma", "tiny splenic calcifications,
sequelae of prior infection", "kyste hydatique calcifié, stade CE5": the characterisation words of the
lexicon (``characterisations: {label: {regex, near}}``) are read from the part of the sentence that
belongs to the mention, and from a following sentence that only comments on it ("Likely granulomatous.").

Which words belong to which mention: the sentence is cut at clause breaks (commas, semicolons, "and",
"with" ...). A piece that holds a mention belongs to it; a piece without one is an apposition of the
mention before it ("X, consistent with Y"), or, at the start of the sentence, a pre-modifier of the first
mention. So "a calcified granuloma in the spleen and a tiny calcification in the liver" gives ``granuloma``
to the first mention and ``small`` to the second only.

``near`` labels (size adjectives: tiny, small, millimétrique ...) must also sit next to the anchor, in its
noun phrase. A label whose cue is denied in its clause ("no suspicious feature", "sans caractère
suspect") is not set.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

from calcitrack.models import Characterisation, Evidence
from calcitrack.nlp.lexicon import FLAGS, get_lexicon
from calcitrack.nlp.sites import organ_cues

NEAR_BEFORE = 45
PART_AFTER = 12
"""Characters after a mention where a part noun ("calcified wall", "calcified rim") makes it a part of the
object named before it."""
NEAR_AFTER = 30
NEGATION_WINDOW = 45

Range = tuple[int, int]


@cache
def _compiled(lang: str) -> tuple[list[tuple[str, re.Pattern[str], bool]], re.Pattern[str], re.Pattern[str],
                                   re.Pattern[str]]:
    lex = get_lexicon(lang)
    cues = [(label, re.compile(cue.regex, FLAGS), cue.near) for label, cue in lex.characterisations.items()]
    return (
        cues,
        re.compile(lex.characterisation_breaks, FLAGS),
        re.compile(r"(?:" + lex.characterisation_negation + r")[^,;:.]*$", FLAGS),
        re.compile(lex.characterisation_followup, FLAGS),
    )


def mention_ranges(text: str, sentence: Range, anchors: list[Range], lang: str) -> list[list[Range]]:
    """For each anchor of the sentence (in text order), the pieces of the sentence that speak of it.

    A piece without a mention is an apposition of the mention before it (or, at the start of the
    sentence, a pre-modifier of the first one), except when a coordinator ("and", "et", "but") separates
    it from that mention and it names its own object (a lesion noun or an organ): "calcification in the
    liver and a suspicious mass in the pancreas" does not make the calcification suspicious.
    """
    s0, s1 = sentence
    _, breaks, _, _ = _compiled(lang)
    coordinator, own_object, part = _independent(lang)
    cuts = [s0]
    for m in breaks.finditer(text, s0, s1):
        if not any(a <= m.start() < b for a, b in anchors):
            cuts.append(m.start())
    cuts.append(s1)
    pieces = [(lo, hi) for lo, hi in pairwise(cuts) if hi > lo]
    owner: list[int | None] = []
    for lo, hi in pieces:
        inside = [i for i, (a, _) in enumerate(anchors) if lo <= a < hi]
        owner.append(inside[0] if inside else None)

    def independent(k: int, towards: int) -> bool:
        """Piece k names its own object and a coordinator lies between it and piece ``towards``, whose
        mention is not a part of that object ("… cyst of 9 cm and a thick wall with calcifications")."""
        lo, hi = pieces[k]
        a, b = (towards + 1, k) if towards < k else (k + 1, towards)
        if not any(coordinator.match(text, pieces[j][0], pieces[j][1]) for j in range(a, b + 1)):
            return False
        mention = owner[towards]
        if k < towards and mention is not None and (
            part.search(text, hi, anchors[mention][0])
            # "abscess (segment VI) with gas and a partly calcified wall": the part noun right after the mention
            or part.search(text, anchors[mention][1], anchors[mention][1] + PART_AFTER)
        ):
            return False
        return own_object.search(text, lo, hi) is not None or bool(organ_cues(text[lo:hi], lang))

    owned: list[list[Range]] = [[] for _ in anchors]
    for k, (lo, hi) in enumerate(pieces):
        if owner[k] is not None:
            inside = [i for i, (a, _) in enumerate(anchors) if lo <= a < hi]
            start = lo
            for n, i in enumerate(inside):
                end = hi if n == len(inside) - 1 else anchors[i][1]
                owned[i].append((start, end))
                start = end
            continue
        previous = [j for j in range(k) if owner[j] is not None]
        following = [j for j in range(k + 1, len(pieces)) if owner[j] is not None]
        if previous:
            if not independent(k, previous[-1]):
                owned[owner[previous[-1]]].append((lo, hi))  # type: ignore[index]
        elif following and not independent(k, following[0]):
            owned[owner[following[0]]].append((lo, hi))  # type: ignore[index]
    for ranges in owned:
        ranges.sort()
    return owned


@cache
def _independent(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lex = get_lexicon(lang)
    return (re.compile(lex.characterisation_coordinators, FLAGS), re.compile(lex.lesion_nouns, FLAGS),
            re.compile(lex.part_nouns, FLAGS))


def is_followup(sentence_text: str, lang: str) -> bool:
    """A sentence that only comments on the previous mention ("Likely granulomatous.", "Aspect séquellaire.")."""
    return _compiled(lang)[3].match(sentence_text) is not None


@cache
def _possibility(lang: str) -> re.Pattern[str]:
    return re.compile(get_lexicon(lang).possibility_after, FLAGS)


def read_characterisation(text: str, ranges: list[Range], anchor: Range, lang: str) -> list[Characterisation]:
    """Characterisation labels of one mention from its ``ranges`` of text, in text order, one per label."""
    cues, _, negation, _ = _compiled(lang)
    possible = _possibility(lang)
    found: list[tuple[int, str, int, int]] = []
    a0, a1 = anchor
    for lo, hi in ranges:
        for label, regex, near in cues:
            for m in regex.finditer(text, lo, hi):
                start, end = m.start(), m.end()
                if near and not (a0 - NEAR_BEFORE <= start and end <= a1 + NEAR_AFTER):
                    continue
                overlaps_anchor = start < a1 and a0 < end
                if not overlaps_anchor and negation.search(text, max(lo, start - NEGATION_WINDOW), start):
                    continue
                if not overlaps_anchor and possible.match(text, end):
                    continue  # "a calcified metastasis cannot be excluded": kept open, not called
                found.append((start, label, start, end))
    # "at the site of the old abscess", "ancien hématome": the lesion word inside a sequela phrase names the
    # healed past lesion, so it does not also set its own (active) label
    healed = [(s, e) for _, label, s, e in found if label == "sequela"]
    found = [f for f in found if f[1] == "sequela" or not any(s <= f[2] and f[3] <= e for s, e in healed)]
    found.sort()
    seen: set[str] = set()
    out: list[Characterisation] = []
    for _, label, start, end in found:
        if label in seen:
            continue
        seen.add(label)
        out.append(Characterisation(label=label, evidence=Evidence(start=start, end=end, text=text[start:end])))
    return out
