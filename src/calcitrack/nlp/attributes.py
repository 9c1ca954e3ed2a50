"""Attributes of a finding read from its sentence: size, count, pattern, shadowing, ducts, mass, change.

Each reader is a small function over the sentence text and the anchor's position in it, driven by the
lexicon's regular expressions. They are conservative where the gold guidelines are (a size must be in
the same sentence; the nearest one to the anchor is taken) and return None when the report is silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from calcitrack.models import CountValue, IntervalChange, Pattern
from calcitrack.nlp.lexicon import FLAGS, Lexicon, get_lexicon
from calcitrack.nlp.sites import segment_regexes

_NUMBER = r"\d+(?:[.,]\d+)?"


@dataclass(frozen=True)
class SizeMatch:
    start: int
    end: int
    mm: float


@cache
def _size_regex(lang: str) -> re.Pattern[str]:
    lex = get_lexicon(lang)
    units = "|".join(sorted((re.escape(u) for u in lex.units), key=len, reverse=True))
    sep = lex.dimension_separators
    # the unit follows the number after spaces or, as an adjective, a hyphen ("a 4-mm calcification")
    return re.compile(
        rf"(?<![\w.,])(?P<dims>{_NUMBER}(?:\s*(?:{units}))?(?:{sep}{_NUMBER}(?:\s*(?:{units}))?){{0,2}})(?:\s*|-)"
        rf"(?P<unit>{units})\b",
        FLAGS,
    )


def _to_float(raw: str) -> float:
    return float(raw.replace(",", "."))


def find_sizes(sentence: str, lang: str) -> list[SizeMatch]:
    """Every measurement in mm/cm in the sentence, as the largest dimension in millimetres."""
    lex = get_lexicon(lang)
    out: list[SizeMatch] = []
    for m in _size_regex(lang).finditer(sentence):
        factor = lex.units[m.group("unit").lower()]
        values = [_to_float(v) for v in re.findall(_NUMBER, m.group("dims"))]
        if not values:
            continue
        mm = max(values) * factor
        if 0 < mm <= 1000:
            out.append(SizeMatch(m.start(), m.end(), round(mm, 1)))
    return out


@cache
def _size_owner(lang: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + get_lexicon(lang).size_owner_before + r")$", FLAGS)


ORGAN_SPAN_MIN_MM = 50.0
"""An organ's span ("rate de 11 cm") is several centimetres; a smaller figure after an organ word is a
lesion's size given telegraphically ("Liver 8 mm calcified focus")."""


@cache
def _organ_size(lang: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + get_lexicon(lang).organ_size_before + r")$", FLAGS)


def read_size(sentence: str, anchor_start: int, anchor_end: int, lang: str) -> float | None:
    """The measurement nearest to the anchor in its sentence (``anchor_*`` are sentence offsets).

    A measurement that belongs to a duct or a wall ("CBD 11 mm containing an 8 mm stone", "VBP de 11 mm")
    is the container's, not the calcified object's, and is skipped, unless the duct is named inside the
    anchor itself ("calcul du cholédoque de 8 mm": the stone's size). So is the organ's own span ("rate de
    11 cm", "spleen measures 12 cm"). An earlier exam's measurement given beside today's ("(11 mm en 2024)",
    "previously 9 mm") is taken only when the sentence gives no other.
    """
    best: tuple[bool, int, float] | None = None
    owner = _size_owner(lang)
    earlier_before, earlier_after = _earlier_size(lang)
    for size in find_sizes(sentence, lang):
        container = owner.search(sentence, max(0, size.start - 60), size.start)
        if container is not None and not anchor_start <= container.start() < anchor_end:
            continue
        if size.mm >= ORGAN_SPAN_MIN_MM and _organ_size(lang).search(sentence, max(0, size.start - 40), size.start):
            continue  # the organ's own span ("Rate de 11 cm, siège de quelques calcifications")
        distance = anchor_start - size.end if size.end <= anchor_start else max(0, size.start - anchor_end)
        # today's measurement before an earlier exam's one given beside it ("14 mm (11 mm en 2024)")
        earlier = bool(earlier_before.search(sentence, max(0, size.start - 30), size.start)
                       or earlier_after.search(sentence[size.end:size.end + 40]))
        if best is None or (earlier, distance) < best[:2]:
            best = (earlier, distance, size.mm)
    return best[2] if best else None


@cache
def _earlier_size(lang: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    lex = get_lexicon(lang)
    return re.compile(lex.earlier_size_before, FLAGS), re.compile(lex.earlier_size_after, FLAGS)


@cache
def _count_regexes(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lex = get_lexicon(lang)
    words = "|".join(sorted((re.escape(w) for w in lex.number_words), key=len, reverse=True))
    units = "|".join(re.escape(u) for u in lex.units)
    number = re.compile(rf"(?<![\d.,])\b(?:(\d{{1,2}})|({words}))\b(?!\s*(?:{units}|%|[.,]\d))", FLAGS)
    return (
        re.compile(lex.count_single, FLAGS),
        re.compile(lex.count_multiple, FLAGS),
        number,
        re.compile(lex.lesion_nouns + r"|\bwalls?\b|\bparois?\b", FLAGS),
    )


_ADJECTIVE = re.compile(r"(?:fied|fi[ée]e?s?|fic|fique)$", re.IGNORECASE)


def _is_plural(word: str) -> bool:
    w = word.lower()
    if w.endswith(("foci", "calculi")):
        return True
    return (w.endswith("s") or w.endswith("x")) and not w.endswith(("sis", "ss", "us"))


def read_count(
    sentence: str, anchor_start: int, anchor_end: int, anchor: str, lang: str, *, lesion: bool, mass_noun: bool,
    in_scope: bool = False,
) -> CountValue | None:
    """Integer when written next to the anchor, else single / multiple from determiners and plurals.

    ``in_scope``: the mention lies in an organ of calcitrack's scope, where a bare singular noun that opens
    its noun phrase ("Stable 5 mm hepatic calcification", "Calcification hépatique de 6 mm") names one
    calcification; out of scope (vessels, valves) the same form is a mass noun ("aortic calcification").
    """
    single, multiple, number, nouns = _count_regexes(lang)
    counted = _counted_after(sentence, anchor_end, number, lang)
    if counted is not None:
        return counted
    before = sentence[max(0, anchor_start - 60):anchor_start]
    for size in reversed(find_sizes(before, lang)):
        before = before[: size.start] + " " + before[size.end:]
    for segment in segment_regexes(lang):  # "Segment 3: calcified granuloma" names a place, not 3 foci
        before = segment.sub(lambda m: " " * len(m.group(0)), before)
    # "LI-RADS 5 observation containing calcification" grades the lesion, it does not count foci
    before = re.sub(get_lexicon(lang).graded_number, lambda m: " " * len(m.group(0)), before, flags=FLAGS)
    all_words = [w for w in re.split(r"[\s'’]+", before) if w]
    words = all_words[-4:]
    last_word = anchor.split()[-1]
    plural_noun = _is_plural(last_word) and not mass_noun
    if _ADJECTIVE.search(last_word) and last_word.lower().endswith("fic"):
        plural_noun = False
    # the last determiner or quantifier before the anchor decides (numbers, "a", "several" ...)
    for word in reversed(words):
        w = word.strip("(),;:")
        n = number.fullmatch(w)
        if n is not None:
            value = int(n.group(1)) if n.group(1) else get_lexicon(lang).number_words[n.group(2).lower()]
            if 1 <= value <= 99:
                return value
        if multiple.fullmatch(w):
            return "multiple"
        if single.fullmatch(w) and not plural_noun and not mass_noun:
            return "single"
        if re.search(r"[.;:]$", word):
            break
    head = nouns.search(anchor) if lesion else None
    if head is not None:
        # a lesion phrase ("granulome calcifié", "calcified granulomas") counts by its head noun, not by
        # the adjective nor by a plural noun elsewhere in the sentence
        return "multiple" if _is_plural(head.group(0)) else "single"
    if _ADJECTIVE.search(last_word):
        after = sentence[anchor_end:anchor_end + 45]
        noun_after = nouns.search(after)
        noun_before = None
        for m in nouns.finditer(sentence[max(0, anchor_start - 60):anchor_start]):
            noun_before = m
        if _is_plural(last_word) and not last_word.lower().endswith("fic"):
            return "multiple"
        if noun_after and (noun_after.start() < 25 or not re.search(r"[,;:.]", after[:noun_after.start()])):
            return "multiple" if _is_plural(noun_after.group(0)) else "single"
        next_word = re.match(r"\s+(\w+)", after)
        if next_word and _is_plural(next_word.group(1)) and len(next_word.group(1)) > 3:
            return "multiple"
        if noun_before is not None:
            return "multiple" if _is_plural(noun_before.group(0)) else "single"
        return None
    if _is_plural(last_word) and not mass_noun:
        return "multiple"
    if lesion:
        return "single"
    if in_scope and not mass_noun and _opens_noun_phrase(all_words[-NOUN_PHRASE_WORDS:], lang):
        return "single"
    return None


_PAREN_COUNT = re.compile(r"[^,;:.()]{0,40}?\(\s*(\w+)\s+[a-zà-ÿ]+s\b[^()]{0,20}\)", re.IGNORECASE)


def _counted_after(sentence: str, anchor_end: int, number: re.Pattern[str], lang: str) -> int | None:
    """"Lithiase de la VBP (3 calculs)", "calcifications (two foci)": a number of objects given in brackets
    right after the mention's phrase counts them."""
    m = _PAREN_COUNT.match(sentence, anchor_end)
    if m is None or number.fullmatch(m.group(1)) is None:
        return None
    raw = m.group(1)
    value = int(raw) if raw.isdigit() else get_lexicon(lang).number_words.get(raw.lower())
    return value if value is not None and 2 <= value <= 99 else None


NOUN_PHRASE_WORDS = 6
"""How far back a bare noun's phrase may reach ("Small segment IV hepatic calcification")."""


def _opens_noun_phrase(words: list[str], lang: str) -> bool:
    """No definite determiner or preposition between the start of the phrase and the anchor."""
    blocking = re.compile(get_lexicon(lang).bare_noun_blockers, FLAGS)
    for word in reversed(words):
        if re.search(r"[.;:(]$", word) or re.fullmatch(r"\W+", word):
            return True
        if blocking.fullmatch(word.strip("(),;:")):
            return False
    return len(words) < NOUN_PHRASE_WORDS


@cache
def _pattern_regexes(lang: str) -> list[tuple[Pattern, re.Pattern[str]]]:
    return [(p, re.compile(r, FLAGS)) for p, r in get_lexicon(lang).patterns.items()]


def read_pattern(sentence: str, anchor_start: int, anchor_end: int, anchor: str, lang: str) -> Pattern | None:
    """The pattern word nearest the anchor within a short window (prefixes such as micro- count), on the
    anchor's side of any semicolon."""
    lex = get_lexicon(lang)
    regexes = dict(_pattern_regexes(lang))
    grouped = regexes.get(Pattern.clustered)
    if grouped is not None:
        # "a cluster of five microcalcifications", "amas de microcalcifications": the grouping named just
        # before the anchor, in its phrase, says more than the micro- prefix
        head = sentence[max(0, anchor_start - 40):anchor_start]
        found = list(grouped.finditer(head))
        if found and not re.search(r"[,;:.()]", head[found[-1].end():]):
            return Pattern.clustered
    for prefix in lex.prefix_patterns:
        if re.match(prefix.regex, anchor, FLAGS):
            return prefix.pattern
    denied = re.compile(r"(?:" + lex.pattern_negation_before + r")", FLAGS)
    best: tuple[int, int, Pattern] | None = None
    for pattern, regex in regexes.items():
        rank = 0 if pattern in _WHERE_IN_THE_LESION else 1
        before = 90 if rank == 0 else 45  # "a central scar ... containing coarse calcifications"
        lo, hi = max(0, anchor_start - before), min(len(sentence), anchor_end + 50)
        for m in regex.finditer(sentence[lo:hi]):
            s, e = m.start() + lo, m.end() + lo
            if denied.search(sentence[max(0, s - 25):s]):
                continue  # "no peripheral rim", "sans liseré": a shape the finding does not have
            if ";" in (sentence[e:anchor_start] if e <= anchor_start else sentence[anchor_end:s]):
                continue  # "no ductal dilatation; a 4 mm calcified granuloma": another clause's word
            if e <= anchor_start and _other_conjunct(sentence[e:anchor_start], lex):
                continue  # "calcifications hépatiques diffuses et granulomes spléniques calcifiés"
            distance = anchor_start - e if e <= anchor_start else max(0, s - anchor_end)
            if best is None or (rank, distance) < best[:2]:
                best = (rank, distance, pattern)
    if best is not None and best[2] in _REFINED_BY:
        # "calcification pariétale curviligne", "curvilinear calcification of the wall": the shape word of
        # the anchor's phrase refines where the calcium lies
        shape = _REFINED_BY[best[2]]
        shape_regex = regexes.get(shape)
        lo, hi = max(0, anchor_start - 30), min(len(sentence), anchor_end + 30)
        for m in shape_regex.finditer(sentence, lo, hi) if shape_regex is not None else ():
            gap = sentence[m.end():anchor_start] if m.end() <= anchor_start else sentence[anchor_end:m.start()]
            if not re.search(r"[,;:.()]", gap):
                return shape
    return best[2] if best else None


_COORDINATOR = re.compile(r"\b(?:and|et|or|ou)\s", re.IGNORECASE)
_OBJECT_WORD = re.compile(r"\b\w*(?:calc|lith)\w*|\bfoci\b|\bfocus\b|\bfoyers?\b", re.IGNORECASE)


def _other_conjunct(gap: str, lex: Lexicon) -> bool:
    """A pattern word separated from the anchor by a coordinator that joins two objects describes the other
    conjunct: its own noun before the coordinator ("diffuse hepatic calcifications and splenic calcified
    granulomas") or a new noun phrase after it ("calcifications diffuses et granulomes spléniques
    calcifiés"); "coarse and dense calcification" keeps it."""
    coordinator = _COORDINATOR.search(gap)
    if coordinator is None:
        return False
    before, after = gap[:coordinator.start()], gap[coordinator.end():]
    return (_OBJECT_WORD.search(before) is not None or re.search(lex.lesion_nouns, before, FLAGS) is not None
            or len(after.split()) >= 2)

_REFINED_BY = {Pattern.rim: Pattern.curvilinear}
"""A placement pattern and the shape pattern that, in the same phrase, describes it more precisely."""


_WHERE_IN_THE_LESION = frozenset({Pattern.central_scar, Pattern.septal})
"""Patterns that say where in a lesion the calcium lies ("coarse calcifications in a central scar"): they
decide the differential (fibrolamellar carcinoma, cystic neoplasm), so they win over a texture word
(coarse, punctate) in the same window, whichever is nearer."""


_QUOTED = re.compile(r"(?<!\w)['‘\"“«]\s*[^'’\"”»\n]{1,40}?\s*['’\"”»](?!\w)")
"""A short quotation ("the alarming-looking 'mass'", « masse » d'un autre compte rendu): another report's
word, cited, not stated. An apostrophe inside a word ("l'examen", "patient's") is not a quotation mark."""


def _flag(sentence: str, unquoted: str, positive: str, negative: str) -> bool | None:
    """False when ``sentence`` denies it, True when ``unquoted`` (the sentence without its quotations) states
    it, else None."""
    if re.search(negative, sentence, FLAGS):
        return False
    if re.search(positive, unquoted, FLAGS):
        return True
    return None


def contrast_part(sentence: str, a0: int, a1: int, lex: Lexicon) -> str:
    """The part of the sentence holding the mention (sentence offsets ``a0``-``a1``), between the contrast
    breaks around it ("; ", "but", "mais", "hormis"): "ni masse ni dilatation des voies biliaires, mais deux
    petites calcifications" says nothing of the ducts around the calcifications."""
    lo, hi = 0, len(sentence)
    for m in re.finditer(lex.contrast_break, sentence, FLAGS):
        if m.end() <= a0:
            lo = m.start()
        elif m.start() >= a1:
            hi = m.start()
            break
    return sentence[lo:hi]


def read_flags(sentence: str, a0: int, a1: int, lex: Lexicon) -> tuple[bool | None, bool | None, bool | None]:
    """Acoustic shadow, duct dilatation and associated mass, as the sentence states them about the mention
    at sentence offsets ``a0``-``a1``. The ducts are read in the mention's own part of the sentence
    (:func:`contrast_part`); a denied shadow or mass anywhere in the sentence still counts."""
    unquoted = _QUOTED.sub(" ", sentence)
    part = contrast_part(sentence, a0, a1, lex)
    return (
        _flag(sentence, unquoted, lex.shadow_positive, lex.shadow_negative),
        _flag(part, _QUOTED.sub(" ", part), lex.dilatation_positive, lex.dilatation_negative),
        _flag(sentence, unquoted, lex.mass_positive, lex.mass_negative),
    )


def _measured_change(sentence: str, lex: Lexicon) -> IntervalChange | None:
    """The direction of a change written as two sizes ("went from 5 to 9 mm", "9 mm contre 5 mm")."""
    regex = lex.interval_change.get("measured")
    match = re.search(regex, sentence, FLAGS) if regex else None
    if match is None:
        return None
    # "from 5 to 9 (mm)": groups (before, after) share a unit; "9 mm (previously 5 mm)": groups 3-6 are
    # (after, its unit, before, its unit), and the two units may differ ("1,2 cm contre 8 mm")
    groups = (match.groups() + (None,) * 6)[:6]
    if groups[0] is not None and groups[1] is not None:
        old, new = _to_float(groups[0]), _to_float(groups[1])
    elif None not in groups[2:]:
        after, after_unit, before, before_unit = (str(g) for g in groups[2:])
        new = _to_float(after) * lex.units[after_unit.lower()]
        old = _to_float(before) * lex.units[before_unit.lower()]
    else:
        return None
    return IntervalChange.increased if new > old else IntervalChange.decreased if new < old else IntervalChange.stable


def read_interval_change(sentence: str, lex: Lexicon) -> IntervalChange | None:
    """The first interval-change word of the sentence (resolved before stable before the others); failing
    a word, the direction of a change written as two sizes. A growth or shrinkage word the sentence denies
    ("has not grown", "sans augmentation") says the finding is stable."""
    order = ["resolved", "increased", "decreased", "new", "stable"]
    denied = False
    for name in order:
        regex = lex.interval_change.get(name)
        if not regex:
            continue
        for m in re.finditer(regex, sentence, FLAGS):
            if name in ("increased", "decreased") and re.search(
                lex.change_denied_before, sentence[max(0, m.start() - 40):m.start()], FLAGS
            ):
                denied = True  # "n'a pas progressé", "without interval growth": no change, said in words
                continue
            return IntervalChange(name)
    return IntervalChange.stable if denied else _measured_change(sentence, lex)
