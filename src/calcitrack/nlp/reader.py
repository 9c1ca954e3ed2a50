"""``read_report``: a report in, its findings, patient context and own recommendations out.

Steps (DESIGN §5): language → prefilter → targets on the raw text → EDS-NLP on *windows* around the
targets (tokens, normaliser, sentences, qualifiers) → organ/site and attributes per target → context and
recommendations. Running the pipeline only on the paragraphs that hold a target, rather than on the whole
report, is what keeps long reports cheap; the qualifiers only look inside the target's sentence anyway.

The qualifier pipes are the module-level, picklable components of :mod:`calcitrack.nlp.pipeline`; the same
reading is offered to EDS-NLP users as the ``calcitrack.findings`` component (:mod:`calcitrack.nlp.components`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any, Literal

from calcitrack.errors import InputError
from calcitrack.lesions import compatible
from calcitrack.models import (
    Characterisation,
    Evidence,
    Finding,
    IntervalChange,
    Organ,
    PatientContext,
    Report,
    ReportRecommendation,
    Section,
)
from calcitrack.nlp.attributes import _is_plural, read_count, read_flags, read_interval_change, read_pattern, read_size
from calcitrack.nlp.characterisation import is_followup, mention_ranges, read_characterisation
from calcitrack.nlp.context import read_context
from calcitrack.nlp.language import decisive_language, detect_language
from calcitrack.nlp.lexicon import FLAGS, Lexicon, get_lexicon
from calcitrack.nlp.pipeline import SPAN_KEY, get_pipeline
from calcitrack.nlp.prefilter import may_mention_target
from calcitrack.nlp.recommendations import read_recommendations
from calcitrack.nlp.sections import Header, find_headers, header_at, section_at
from calcitrack.nlp.sentences import BOUNDARY
from calcitrack.nlp.sites import OrganCueMatch, Placement, choose_cue, duct_side, liver_site, organ_cues, place
from calcitrack.nlp.targets import TargetMatch, find_targets

MAX_CHARS = 20_000_000
"""Reports longer than this are refused (a clear error, not an out-of-memory)."""

WINDOW_BEFORE = 400
WINDOW_AFTER = 250
MAX_WINDOW = 20_000
"""A window stops growing at this many characters (a dense report would otherwise be one huge Doc)."""
PREVIOUS_SENTENCES = 2
"""How many earlier sentences (same paragraph) may give a finding its organ when its own names none."""


@dataclass
class Reading:
    """What the report says: language, findings, patient context, the report's own recommendations."""

    lang: Literal["en", "fr"]
    findings: list[Finding] = field(default_factory=list)
    context: PatientContext = field(default_factory=PatientContext)
    report_recommendations: list[ReportRecommendation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Reading warnings (one line each, never report text), e.g. a language the text contradicts."""
    folded: dict[str, list[Finding]] = field(default_factory=dict)
    """Supporting nouns folded into a mention (by its id): not mentions, but what they state about its
    lesion (a size, a site) still reaches the lesion (:func:`calcitrack.lesions.group_lesions`)."""


def _windows(text: str, targets: list[TargetMatch]) -> list[tuple[int, int, list[TargetMatch]]]:
    """Merge the targets into text windows that start and end on sentence boundaries (``BOUNDARY``)."""
    windows: list[tuple[int, int, list[TargetMatch]]] = []
    for target in targets:
        lo = max(0, target.start - WINDOW_BEFORE)
        if lo > 0:
            m = BOUNDARY.search(text, lo, target.start)
            lo = m.end() if m else lo
        hi = min(len(text), target.end + WINDOW_AFTER)
        m = BOUNDARY.search(text, target.end, hi) if hi < len(text) else None
        if m:
            # extend to the end of the sentence that holds the target, then one sentence further
            m2 = BOUNDARY.search(text, m.end(), min(len(text), m.end() + WINDOW_AFTER))
            hi = m2.start() if m2 else hi
        if windows and lo <= windows[-1][1] and windows[-1][1] - windows[-1][0] < MAX_WINDOW:
            start, _, members = windows[-1]
            members.append(target)  # in place: copying the list per target made dense reports quadratic
            windows[-1] = (start, max(hi, windows[-1][1]), members)
        else:
            windows.append((lo, hi, [target]))
    return windows


_CLAUSE_BREAK = re.compile(r"(?<!\d),|,(?!\d)|[;:()]|\b(?:which|who|but|whereas|mais|qui|dont|alors)\b", re.IGNORECASE)


_WITH = re.compile(r"\b(?:with|avec|and|et)\b", re.IGNORECASE)


def clause_bounds(text: str, s0: int, s1: int, target: TargetMatch) -> tuple[int, int]:
    """The clause of the sentence [s0, s1) that holds the target (split at punctuation and relatives)."""
    return _clause_at(text, s0, s1, target.start, target.end)


def _clause_at(text: str, s0: int, s1: int, start: int, end: int) -> tuple[int, int]:
    lo, hi = s0, s1
    for m in _CLAUSE_BREAK.finditer(text, s0, s1):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return lo, hi


def _place(
    text: str, lang: str, target: TargetMatch, sent: tuple[int, int], prev: list[tuple[int, int]],
    headers: list[Header], last: tuple[int, Placement] | None,
) -> Placement | None:
    """Organ/site/detail; None when the target requires an organ it does not have (e.g. renal lithiase).

    Order: a cue in the target's own sentence; an organ header; the previous finding when the mention
    is anaphoric ("the calcification", "la calcification") or lies within the previous sentences; a cue
    in the previous sentences of the paragraph; else ``other``.
    """
    spec = target.spec
    s0, s1 = sent
    sentence = text[s0:s1]
    c0, c1 = clause_bounds(text, s0, s1, target)
    clause = text[c0:c1]
    if spec.organ is not None:
        # a term that fixes its organ ("lithiases intrahépatiques") may still say which side
        return Placement(spec.organ, duct_side(spec.site, text[c0:c1], lang), None)
    # "lésion hépatique partiellement calcifiée avec adénopathies hilaires", "calcification et masse du
    # pancréas": what follows "with" / "and" is another structure; its organ is used only when the clause
    # names none before
    joined = _WITH.search(text, target.end, c1)
    if joined:
        c1 = joined.start()
    lex = get_lexicon(lang)
    cues = [c for c in organ_cues(sentence, lang, s0) if not _denied_later_item(text, target, c, lex)]
    cue = choose_cue(cues, target.start, target.end, (c0, c1))
    header = header_at(headers, target.start)
    hcues = organ_cues(header.title, lang, header.start) if header is not None and header.organ else []
    if hcues and (cue is None or (cue.weak and not hcues[0].weak)):
        # "Liver: two calcifications, without surrounding soft tissue": the organ header names the
        # structure; a weak cue of the sentence ("soft tissue") does not override it
        cue = hcues[0]
    cue_sentence = sentence
    if cue is None and last is not None and not spec.require_organ:
        before = text[max(0, target.start - 12):target.start]
        anaphoric = re.search(lex.definite_determiners, before, FLAGS) is not None
        # a finding under an earlier header (another section) is not "the previous finding" of this one
        same_part = header_at(headers, last[0] - 1) is header
        if anaphoric or (prev and last[0] >= prev[-1][0] and same_part):
            return _own_liver_site(last[1], sentence, lang)
    for p0, p1 in prev:
        if cue is not None:
            break
        if re.match(lex.negative_sentence, text[p0:p1], FLAGS):
            continue  # "No biliary dilatation." names an organ only to deny something about it
        pcues = organ_cues(text[p0:p1], lang, p0)
        cue = pcues[-1] if pcues else None
        cue_sentence = text[p0:p1]
    if spec.require_organ and (cue is None or cue.organ not in spec.require_organ):
        return None
    if cue is None:
        return Placement(Organ.other, None, None)
    title = _title(text)
    placement = place(cue, sentence, lang, clause=clause, title=title)
    if cue_sentence is not sentence and placement.organ == Organ.liver and not liver_site(sentence, lang):
        # the organ comes from an earlier sentence ("Mass in the left hepatic lobe. The scar contains
        # calcification."): so does the part of the organ
        placement = place(cue, cue_sentence, lang, title=title)
    placement = _coordinated(placement, cue, cues, text, lang)
    if spec.require_site and placement.site not in spec.require_site:
        return None  # "a stone" is a target only in the common bile duct, not in the gallbladder
    return placement


_TITLE_CHARS = 160


def _title(text: str) -> str | None:
    """The examination title: the report's first non-empty line, when it is short."""
    stripped = text[:_TITLE_CHARS + 4096].lstrip()  # a slice: called per mention, on reports of any length
    line = stripped.split("\n", 1)[0]
    return line if 0 < len(line) <= _TITLE_CHARS else None


def _own_liver_site(placement: Placement, sentence: str, lang: str) -> Placement:
    """An inherited liver placement takes the part of the liver its own sentence names, if any."""
    if placement.organ != Organ.liver:
        return placement
    site = liver_site(sentence, lang)
    return placement if site is None else Placement(placement.organ, site, placement.detail, placement.also)


_LIST_SEPARATOR = re.compile(r"\s*(?:,|;)\s*")


def _denied_later_item(text: str, target: TargetMatch, cue: OrganCueMatch, lex: Lexicon) -> bool:
    """"No mass, no calcification, no biliary dilatation": a cue in a later item of a list, an item that is
    itself denied, names the organ of that item only."""
    if cue.start < target.end:
        return False
    between = text[target.end:cue.start]
    breaks = list(_LIST_SEPARATOR.finditer(between))
    if not breaks:
        return False
    item = between[breaks[-1].end():]
    return re.match(lex.negative_sentence, item, FLAGS) is not None


_COORDINATION = re.compile(r"^\s*(?:,|and|et|&)\s*(?:(?:and|et)\s+)?(?:(?:the|la|le|les|du|de\s+la|des)\s+)?$",
                           re.IGNORECASE)


def _coordinated(placement: Placement, cue: OrganCueMatch, cues: list[OrganCueMatch], text: str,
                 lang: str) -> Placement:
    """"calcifications in the lung, liver and spleen": the organ cue heads a coordinated list of organs;
    the mention belongs to the in-scope organs of the list (the first, and a second as ``also``)."""
    if placement.also is not None:
        return placement
    i = next((k for k, c in enumerate(cues) if c.start == cue.start), None)
    if i is None:
        return placement
    chain = [cue]
    for nxt in cues[i + 1:]:
        if not _COORDINATION.match(text[chain[-1].end:nxt.start]):
            break
        chain.append(nxt)
    if len(chain) < 2:
        return placement
    organs: list[Organ] = []
    for c in chain:
        for organ in (c.organ, c.also):
            if organ is not None and organ != Organ.other and organ not in organs and not c.weak:
                organs.append(organ)
    if not organs or (organs[0] == placement.organ and len(organs) == 1):
        return placement
    if organs[0] == placement.organ:
        return Placement(placement.organ, placement.site, placement.detail, organs[1])
    return Placement(organs[0], None, None, organs[1] if len(organs) > 1 else None)


def _findings(
    text: str, lang: Literal["en", "fr"], targets: list[TargetMatch], headers: list[Header], *, whole: bool = False,
    tentative: frozenset[int] = frozenset(),
) -> tuple[list[Finding], dict[str, list[Finding]]]:
    lex = get_lexicon(lang)
    pipeline = get_pipeline(lang)
    findings: list[Finding] = []
    supporting: set[int] = set()  # evidence starts of disease/stone nouns (see _fold_supporting)
    kinds: dict[int, str] = {}  # evidence start -> target id
    sentence_of: dict[int, tuple[int, int]] = {}  # evidence start -> its sentence's bounds
    last: tuple[int, Placement] | None = None
    windows = [(0, len(text), targets)] if whole else _windows(text, targets)
    for lo, hi, members in windows:
        doc = pipeline.prepare(text[lo:hi])
        spans: list[Any] = []
        kept: list[TargetMatch] = []
        covered = 0  # token end of the spans kept so far: targets come in text order, so an overlap is
        for target in members:  # with a kept span iff the new span starts before this end
            span = doc.char_span(target.start - lo, target.end - lo, alignment_mode="expand")
            if span is None or span.start < covered:
                continue
            spans.append(span)
            kept.append(target)
            covered = max(covered, span.end)
        doc.spans[SPAN_KEY] = spans
        pipeline.qualify(doc)
        sents = list(doc.sents)
        sentence_index = {s.start: i for i, s in enumerate(sents)}
        described = _described_ranges(text, lang, lo, sents, kept, spans)
        for target, span in zip(kept, spans, strict=True):
            sent = span.sent
            s0, s1 = sent.start_char + lo, sent.end_char + lo
            index = sentence_index.get(sent.start, 0)
            prev: list[tuple[int, int]] = []
            for p in reversed(sents[:index]):
                if len(prev) == PREVIOUS_SENTENCES or re.search(r"\n\s*\n", text[p.start_char + lo:s0]):
                    break  # the organ of an earlier paragraph does not carry over
                if _WORD.search(p.text):  # a list number alone ("2.") is not a sentence to look back on
                    prev.append((p.start_char + lo, p.end_char + lo))
            sentence = text[s0:s1]
            spec = target.spec
            if (spec.require_context and target.start not in tentative
                    and not re.search(spec.require_context, sentence, FLAGS)):
                continue
            placement = _place(text, lang, target, (s0, s1), prev, headers, last)
            if placement is None:
                continue
            last = (target.end, placement)
            prefix_negated = re.match(lex.negating_prefix, target.text, FLAGS) is not None or (
                re.search(lex.negating_word_before, text[max(0, target.start - 5):target.start], FLAGS) is not None
            )
            negated = bool(span._.negation) or prefix_negated
            if negated and not prefix_negated and _affirmed_in_own_clause(text, s0, s1, target, lex):
                negated = False
            if not negated and _denied_after(text, s1, target, lex):
                negated = True
            new_since_prior = not prefix_negated and _absent_before(text, s0, s1, target, lex)
            if new_since_prior:
                negated = False
            characterisation = [] if negated else read_characterisation(
                text, described[target.start], (target.start, target.end), lang)
            section, historical_section = section_at(headers, target.start)
            a0, a1 = target.start - s0, target.end - s0
            shadow, dilatation, mass = read_flags(sentence, a0, a1, lex)
            disease_match = None if spec.disease_after is None else re.match(
                spec.disease_after, text[target.end:target.end + 40], FLAGS)
            # a plural stone noun ("lithiases", "lithiases intrahépatiques") names several stones
            plural_stones = spec.term_class == "lithiase" and _is_plural(target.text.split()[0])
            # "une lithiase vésiculaire de 12 mm": an indefinite singular names one stone, not the disease
            one_stone = disease_match is not None and re.search(
                r"(?:" + lex.count_single + r")\s+$", text[max(0, target.start - 12):target.start], FLAGS) is not None
            disease = disease_match is not None and not plural_stones and not one_stone
            several = disease_match is not None and re.match(
                r"\s*(?:" + lex.count_multiple + r")", text[target.end + disease_match.end():], FLAGS) is not None
            findings.append(
                Finding(
                    id="f0",
                    organ=placement.organ,
                    organ_detail=placement.detail,
                    site=placement.site,
                    count=None if negated else "multiple" if several else None if disease else read_count(
                        sentence, a0, a1, target.text, lang, lesion=spec.lesion,
                        mass_noun=spec.mass_noun and not plural_stones and not one_stone,
                        # a bare "lithiase" names the disease, not one stone
                        in_scope=placement.organ != Organ.other and spec.term_class != "lithiase",
                    ),
                    size_mm=None if negated else read_size(sentence, a0, a1, lang),
                    pattern=None if negated else (read_pattern(sentence, a0, a1, target.text, lang) or spec.pattern),
                    acoustic_shadow=shadow,
                    duct_dilatation=dilatation,
                    associated_mass=mass,
                    interval_change=None if negated else (
                        IntervalChange.new if new_since_prior else _interval_change(text, s0, s1, target, lex)),
                    negated=negated,
                    uncertain=bool(span._.hypothesis) or (not negated and re.search(
                        lex.alternative_before, text[max(0, target.start - 30):target.start], FLAGS) is not None),
                    # a finding its own sentence says is still there ("again seen", "unchanged today") is
                    # current, even when a history cue, a comparison section or an earlier exam names it
                    # "the calcification described in 2018 is no longer seen": denied today, not past
                    historical=not _denied_today(sentence, section, lex, negated=negated) and (
                    (not re.search(lex.still_present, sentence, FLAGS) and (
                        bool(span._.history) or historical_section
                        or (not new_since_prior
                            and _on_an_earlier_exam(text, s0, s1, target, lex, section, negated=negated))
                    ))
                    or _past_episode(text, sentence, s1, lex)
                    or _patient_history_sentence(text, s0, s1, target, lex)
                    or (section == Section.history and _dated_in_clause(text, s0, s1, target, lex))),
                    section=section,
                    evidence=Evidence(start=target.start, end=target.end, text=text[target.start:target.end]),
                    lang=lang,
                    characterisation=characterisation,
                )
            )
            kinds[target.start] = spec.id
            sentence_of[target.start] = (s0, s1)
            if spec.supporting:
                supporting.add(target.start)
            if placement.also is not None:
                # one mention naming two organs ("hepatosplenic"): one finding per organ, so that each
                # organ's lesion is grouped and assessed
                findings.append(findings[-1].model_copy(update={"organ": placement.also, "site": None}))
    findings.sort(key=lambda f: f.evidence.start if f.evidence else 0)
    findings = _confirmed(findings, tentative, kinds)
    findings = _one_side(findings, lex)
    findings = _link_same_lesion(text, lex, findings)
    findings = _gone_today(findings, text, sentence_of, lex)
    findings = _current_problem(findings, text, sentence_of, headers, lex)
    findings, folded_by_host = _fold_supporting(findings, supporting)
    numbered = [f.model_copy(update={"id": f"f{i}"}) for i, f in enumerate(findings, start=1)]
    folded = {numbered[i].id: extra for i, extra in folded_by_host.items()}
    return numbered, folded


def _gone_today(
    findings: list[Finding], text: str, sentence_of: dict[int, tuple[int, int]], lex: Lexicon
) -> list[Finding]:
    """A finding the indication or history dates ("contrôle d'une calcinose tumorale décrite en 2023") whose
    organ today's findings say is clear of it ("la masse calcifiée … n'est plus visible") and name no current
    lesion in: the dated mention is that past state, historical (annotation guidelines: placed in a past
    episode and not described as present now). While today's report still describes a lesion in that organ,
    the history line keeps naming today's problem ("follow-up of the calcification found in 2018")."""
    if not any(f.negated for f in findings):
        return findings
    def at(f: Finding) -> str:
        a, b = sentence_of.get(f.evidence.start, (0, 0)) if f.evidence is not None else (0, 0)
        return text[a:b]

    today = [f for f in findings if f.section != Section.history]
    gone = {f.organ for f in today if f.negated and re.search(lex.gone_now, at(f), FLAGS)}
    present = {f.organ for f in today if not f.negated and not f.historical}
    return [
        f.model_copy(update={"historical": True})
        if f.section == Section.history and not f.negated and not f.historical
        and f.organ in gone - present and re.search(lex.past_event, at(f), FLAGS)
        else f
        for f in findings
    ]


def _current_problem(
    findings: list[Finding], text: str, sentence_of: dict[int, tuple[int, int]], headers: list[Header], lex: Lexicon
) -> list[Finding]:
    """An undated outside exam that the history gives as the reason for today's exam, by referral or hearsay
    ("referred after an outside CT described a calcified liver mass", "outside radiograph reportedly showed
    calcification", "un scanner aurait montré"), reports the current problem when today's findings describe
    a current lesion in that organ: that mention is current, not historical (annotation guidelines: imaging
    of the current problem is not historical). A dated or "previous" exam ("Outside CT 2017 showed",
    "l'échographie antérieure montrait") is the patient's past; a comparison line stays the earlier exam's
    state; so does an earlier exam whose organ today's findings leave clear."""
    current = {f.organ for f in findings if f.section in (Section.findings, Section.impression)
               and not (f.negated or f.historical or f.uncertain)}
    if not current:
        return findings
    out: list[Finding] = []
    for f in findings:
        if (f.historical and not f.negated and f.organ in current and f.organ != Organ.other
                and f.evidence is not None and f.section in (Section.history, Section.other)
                and not section_at(headers, f.evidence.start)[1]):
            s0, s1 = sentence_of.get(f.evidence.start, (0, 0))
            c0, c1 = _clause_at(text, s0, s1, f.evidence.start, f.evidence.end)
            clause = text[_antecedent_start(text, s0, c0):c1]
            if (re.search(lex.referral_cue, clause, FLAGS) and re.search(lex.prior_exam, clause, FLAGS)
                    and not _YEAR.search(clause) and not re.search(lex.past_event, clause, FLAGS)):
                f = f.model_copy(update={"historical": False})
        out.append(f)
    return out


def _confirmed(findings: list[Finding], tentative: frozenset[int], kinds: dict[int, str]) -> list[Finding]:
    """A target kept only tentatively (its sentence lacks the required context, e.g. the acoustic shadow of a
    hyperechoic focus) is a mention when the report describes the same kind of object in the same organ
    with that context elsewhere ("foyer hyperéchogène hépatique" in the indication, "foyers hyperéchogènes
    avec cônes d'ombre" in the findings)."""
    if not tentative:
        return findings
    sure = {(kinds.get(f.evidence.start), f.organ)
            for f in findings if f.evidence and f.evidence.start not in tentative}
    return [f for f in findings if f.evidence is None or f.evidence.start not in tentative
            or (kinds.get(f.evidence.start), f.organ) in sure]


def _one_side(findings: list[Finding], lex: Lexicon) -> list[Finding]:
    """A report that gives one side to its intrahepatic duct findings ("left intrahepatic ducts") and never
    the other speaks of that side's ducts: its unsided intrahepatic duct mentions take the same side."""
    sides = {f.site for f in findings if f.site in lex.duct_sides and not f.negated}
    if len(sides) != 1:
        return findings
    side = sides.pop()
    return [f.model_copy(update={"site": side}) if f.site == "intrahepatic_duct" and not f.negated else f
            for f in findings]


def _fold_supporting(
    findings: list[Finding], supporting: set[int]
) -> tuple[list[Finding], dict[int, list[Finding]]]:
    """A disease or stone noun ("choledocholithiasis", "CBD stone", "calcul", "image calcique") that names a
    lesion another mention already describes adds its characterisation to that mention instead of being a
    mention of its own; alone, it is the lesion's only mention and stays one (so the lesion is still assessed).

    Why: these words are not calcification mentions in the annotation guidelines, but they are how many
    reports name bile-duct stones and calcified foci. Folding keeps one lesion per object and the stone
    label as a fact. The folded findings are returned by the index of their host in the kept list, so that
    the lesion still gets what only they state ("image calcique de 12 mm du segment VIII … Conclusion :
    calcification hépatique stable": the lesion measures 12 mm).
    """
    kept: list[Finding] = []
    folded: dict[int, list[Finding]] = {}
    waiting: list[Finding] = []  # folded into a mention further on, attached when that mention is kept
    later = [f for f in findings if (f.evidence.start if f.evidence else -1) not in supporting]

    def same(k: Finding, finding: Finding) -> bool:
        return compatible(k, finding) and k.negated == finding.negated and k.historical == finding.historical

    for finding in findings:
        start = finding.evidence.start if finding.evidence else -1
        if start in supporting:
            host = next((k for k in kept if same(k, finding)), None)
            if host is None and any(same(k, finding) for k in later if k.evidence and k.evidence.start > start):
                waiting.append(finding)  # a mention further on names the same lesion ("… lithiase de la VBP")
                continue
            if host is not None:
                index = kept.index(host)
                labels = {c.label for c in host.characterisation}
                extra = [c for c in finding.characterisation if c.label not in labels]
                kept[index] = host.model_copy(update={"characterisation": [*host.characterisation, *extra]})
                folded.setdefault(index, []).append(finding)
                continue
        claimed = [w for w in waiting if same(finding, w)]
        if claimed:
            waiting = [w for w in waiting if w not in claimed]
            labels = {c.label for c in finding.characterisation}
            extra = [c for w in claimed for c in w.characterisation if c.label not in labels]
            finding = finding.model_copy(update={"characterisation": [
                *finding.characterisation, *{c.label: c for c in extra}.values()]})
            folded[len(kept)] = claimed
        kept.append(finding)
    return kept, folded


def _described_ranges(
    text: str, lang: str, lo: int, sents: list[Any], kept: list[TargetMatch], spans: list[Any]
) -> dict[int, list[tuple[int, int]]]:
    """For each target (by start offset), the parts of the text that speak of it (characterisation).

    Its own pieces of its sentence (:func:`mention_ranges`), plus the next sentence when that one names no
    target and only comments on the last mention of this sentence ("Likely granulomatous.").
    """
    by_sentence: dict[int, list[TargetMatch]] = {}
    index_of: dict[int, int] = {}
    for i, sent in enumerate(sents):
        index_of[sent.start] = i
    for target, span in zip(kept, spans, strict=True):
        by_sentence.setdefault(span.sent.start, []).append(target)
    starts = sorted(t.start for t in kept)
    out: dict[int, list[tuple[int, int]]] = {}
    for sent_start, members in by_sentence.items():
        i = index_of[sent_start]
        s0, s1 = sents[i].start_char + lo, sents[i].end_char + lo
        ranges = mention_ranges(text, (s0, s1), [(t.start, t.end) for t in members], lang)
        if i + 1 < len(sents):
            n0, n1 = sents[i + 1].start_char + lo, sents[i + 1].end_char + lo
            no_target = bisect_left(starts, n0) == bisect_left(starts, n1)
            if no_target and not re.search(r"\n\s*\n", text[s1:n0]) and is_followup(text[n0:n1], lang):
                ranges[-1] = [*ranges[-1], (n0, n1)]
        for target, rng in zip(members, ranges, strict=True):
            out[target.start] = rng
    return out


def _dated_in_clause(text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon) -> bool:
    """In an indication / history section, the finding's own clause (or an earlier clause of its sentence)
    places it in the past ("calcification described in 2022"): the patient's history, not today's
    examination."""
    _, c1 = clause_bounds(text, s0, s1, target)
    if re.search(lex.followup_cue, text[s0:s1], FLAGS):
        return False  # "Indication: follow-up of the calcification found in 2018": today's problem
    # an earlier clause of the sentence may date the episode the mention belongs to ("History: during the
    # neonatal stay in 2017, cranial US showed calcifications"); the sentence is the patient's past
    return re.search(lex.past_event, text[s0:c1], FLAGS) is not None


def _on_an_earlier_exam(
    text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon, section: Section, *, negated: bool = False
) -> bool:
    """The finding's own clause places it on an earlier examination or a dated past event ("the echogenic
    focus questioned on the prior ultrasound", "calcification décrite en 2019"), and its sentence does not
    describe it as present today (stable, again seen, now measures, new ...): a superseded finding.

    In the findings and impression of today's report a finding is present unless the sentence says it is
    gone ("no longer seen", "not seen today"): a date alone does not make it past there. A mention that its
    own sentence denies today is negated, not historical (annotation guidelines, :func:`_denied_today`);
    only a denial the negation does not carry (in the next sentence) keeps the dated mention out of today's
    lesions as past.
    """
    c0, c1 = clause_bounds(text, s0, s1, target)
    # "fetal hepatic calcification on the anatomy scan (2020)": a short aside closing the clause dates it
    c1 = _aside_end(text, c1, s1)
    clause, sentence = text[c0:c1], text[s0:s1]
    # "US 02/2021, at which the calcification was described", "échographie de 2023, qui ne retrouvait aucune
    # calcification": a relative clause speaks of the exam its antecedent names
    placed = text[_antecedent_start(text, s0, c0):c1]
    if not (re.search(lex.prior_exam, placed, FLAGS) or re.search(lex.past_event, clause, FLAGS)
            or _fronted_exam(text[s0:s1], lex)):
        return False
    following = text[s1:s1 + 200].split("\n\n", 1)[0]  # "... questioned a focus. Today the liver is normal."
    if section in (Section.findings, Section.impression) and not re.search(lex.gone_now, sentence + following, FLAGS):
        return False
    # "today", "now measures" describe the finding only in its own clause: in another one they may
    # contrast ("... reported in 2016; it is not seen today")
    return not (re.search(lex.still_present, sentence, FLAGS) or re.search(lex.current_state, clause, FLAGS)
                or re.search(lex.followup_cue, sentence, FLAGS))


_RELATIVE = re.compile(r"\b(?:which|who|whom|qui|dont)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_SHORT_ASIDE = 25  # characters: a date or an abbreviation in parentheses, not a clause of its own
_RELATIVE_LEAD = re.compile(r"\s*(?:\w+\s+){0,2}$")  # "at", "lors de" before the pronoun


def _antecedent_start(text: str, s0: int, c0: int) -> int:
    """Where the clause before a relative pronoun or a short parenthesis that opens the clause at ``c0``
    starts: the antecedent of "which" / "qui" lies there (skipping a comma, a short preposition such as
    "at" or "lors de", and a short aside such as "(report only)"), and so does the subject before
    "(08/2025)". ``c0`` itself otherwise."""
    breaks = list(_CLAUSE_BREAK.finditer(text, s0, c0))
    if not breaks or breaks[-1].end() != c0:
        return c0
    i = len(breaks) - 1
    if breaks[i].group() == ")":
        # "Outside US (08/2025) reported a calcification": a short aside does not end the subject's clause
        opening = _short_aside_opening(breaks, i)
        if opening is None:
            return c0
        return breaks[opening - 1].end() if opening > 0 else s0
    if not _RELATIVE.fullmatch(breaks[i].group()):
        return c0
    while i > 0:
        if breaks[i - 1].group() == ")":
            opening = _short_aside_opening(breaks, i - 1)
            if opening is None:
                break
            i = opening  # "US 2019 (report only), which …": step over the aside
            continue
        if not _RELATIVE_LEAD.fullmatch(text[breaks[i - 1].end():breaks[i].start()]):
            break
        i -= 1  # " at " before "which", the comma before "qui"
    return breaks[i - 1].end() if i > 0 else s0


def _short_aside_opening(breaks: list[re.Match[str]], closing: int) -> int | None:
    """The index of the "(" that opens the short aside closed by ``breaks[closing]``, or None."""
    opening = next((j for j in range(closing - 1, -1, -1) if breaks[j].group() == "("), None)
    if opening is None or breaks[closing].start() - breaks[opening].end() > _SHORT_ASIDE:
        return None
    return opening


_FRONTED = re.compile(r"(?:[^:,;]{0,30}:\s*){0,2}([^:,;]{0,60}),")


def _fronted_exam(sentence: str, lex: Lexicon) -> bool:
    """The sentence opens with an earlier exam as its frame ("Sur le scanner de 2023, il existait …", "On
    the 2019 CT, there was …"), after an optional organ label: every clause of it speaks of that exam."""
    m = _FRONTED.match(sentence)
    return m is not None and re.search(lex.prior_exam, m.group(1), FLAGS) is not None


def _aside_end(text: str, c1: int, s1: int) -> int:
    """The end of a short parenthesis that opens at the clause end ``c1`` ("… on the anatomy scan (2020)"),
    or ``c1`` itself."""
    if c1 >= s1 or text[c1] != "(":
        return c1
    close = text.find(")", c1, min(s1, c1 + _SHORT_ASIDE + 2))
    return close + 1 if close != -1 else c1


def _denied_today(sentence: str, section: Section, lex: Lexicon, *, negated: bool) -> bool:
    """A mention its own sentence says is gone today ("the calcification described on the 2023 study is no
    longer seen", "n'est plus visible") outside the history lines: the annotation guidelines make it
    negated, not historical, whatever earlier exam or history cue the sentence also names."""
    return negated and section != Section.history and re.search(lex.absent_today, sentence, FLAGS) is not None


def _past_episode(text: str, sentence: str, sentence_end: int, lex: Lexicon) -> bool:
    """The sentence speaks of a stay that the rest of the narrative later calls an earlier one."""
    if not re.search(lex.episode_sentence, sentence, FLAGS) or re.search(lex.later_episode, sentence, FLAGS):
        return False
    return re.compile(lex.later_episode, FLAGS).search(text, sentence_end) is not None


_CLAUSE_END = re.compile(r"(?<!\d),|,(?!\d)|[;:]")


def _affirmed_in_own_clause(text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon) -> bool:
    """"No mass, calcification present": the negation cue lies in an earlier clause and the target's own
    clause affirms it with a predicate of presence, or opens with a coordinator and an indefinite determiner
    that introduce a new object; the negation does not reach across the clause break."""
    breaks = [m.end() for m in _CLAUSE_END.finditer(text, s0, target.start)]
    if not breaks:
        return False
    clause_start = breaks[-1]
    clause_end = next((m.start() for m in _CLAUSE_END.finditer(text, target.end, s1)), s1)
    lead = re.match(lex.new_entity_lead, text[clause_start:target.start], FLAGS)
    if (lead is not None
            and not _denial_between(text, clause_start + lead.end(), target.start, lex)
            and not re.search(lex.clause_negation, text[target.end:clause_end], FLAGS)):
        # "…, no longer visible, and a new 8 mm calcification", "no enhancement, matching a dense calcified
        # focus": a new object, not denied; but "correspondant à un dépôt de lipiodol et non à une
        # calcification" denies it after the lead
        return True
    if re.search(lex.clause_negation, text[clause_start:target.start], FLAGS):
        return False
    return re.match(lex.affirmed_after, text[target.end:s1], FLAGS) is not None


def _denial_between(text: str, start: int, end: int, lex: Lexicon) -> bool:
    """A negation cue in [start, end) other than an alternative ("a tiny calculus or vascular calcification"
    offers readings, it denies neither)."""
    return any(m.group().strip().lower() not in _ALTERNATIVE_WORDS
               for m in re.finditer(lex.clause_negation, text[start:end], FLAGS))


_ALTERNATIVE_WORDS = frozenset({"or", "ou"})


def _interval_change(text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon) -> IntervalChange | None:
    """The change the mention's own clause states, failing one the change its sentence states: "the
    calcification of segment II is no longer seen, and a new 6 mm calcification appears" gives each of the
    two mentions its own change, while "…, this finding is stable" still describes the mention before it."""
    in_sentence = read_interval_change(text[s0:s1], lex)
    if in_sentence is None:
        return None  # nothing in the sentence, so nothing in the clause either (the common case: one scan)
    c0, c1 = clause_bounds(text, s0, s1, target)
    if (c0, c1) == (s0, s1):
        return in_sentence
    own = read_interval_change(text[c0:c1], lex)
    return own if own is not None else in_sentence


def _denied_after(text: str, s1: int, target: TargetMatch, lex: Lexicon) -> bool:
    """"Calcification du segment VI, décrite en 2016, non retrouvée ce jour": a denial placed after the
    mention, behind a comma. EDS-NLP's French qualifiers end their scope at a comma, so they miss it; the
    pieces after the mention are read one by one until a piece that starts with a coordinator, which names
    another object ("…, and a new calcification"). An absence on an earlier exam is read later as "new"."""
    pos = target.end
    for _ in range(3):
        comma = text.find(",", pos, s1)
        if comma < 0 or re.search(r"[;:]", text[pos:comma]):
            return False
        rest = text[comma:s1]
        if re.match(lex.denied_after, rest, FLAGS):
            return True
        if re.match(lex.characterisation_coordinators, rest[1:], FLAGS):
            return False
        pos = comma + 1
    return False


_LABEL = re.compile(r"^(?:[^:.;\n]{0,40}:\s*){1,2}")


def _patient_history_sentence(text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon) -> bool:
    """The sentence opens by stating the patient's history ("History of choledocholithiasis treated by ERCP
    in 2020", "Antécédent de lithiase de la VBP") and the mention lies in that first clause: a past
    condition, not a finding of today's examination, unless the sentence says it is present or followed up
    today ("History of calcified granuloma, unchanged")."""
    head = text[s0:target.start]
    label = _LABEL.match(head)  # "Liver: History of ..." (an organ or section label before it)
    if label:
        head = head[label.end():]
    head = re.split(r"(?<=[.!?])\s+", head)[-1]  # "HISTORY: 58M. Hx of ..." (a period the splitter kept)
    lead = re.match(lex.history_lead, head, FLAGS)
    if lead is None or re.search(r"[;:]", head):
        return False
    named = head[lead.end():]
    if re.search(r"(?<!\w)" + lex.characterisation_coordinators, named, FLAGS):
        return False  # "History of diabetes and calcifications on x-ray": the history is the diabetes
    sentence = text[s0:s1]
    return not (re.search(lex.still_present, sentence, FLAGS) or re.search(lex.followup_cue, sentence, FLAGS)
                or re.search(lex.current_state, sentence, FLAGS))


def _absent_before(text: str, s0: int, s1: int, target: TargetMatch, lex: Lexicon) -> bool:
    """"… calcifications, not seen on the CT of 2021" / "absente sur le scanner de 2021": absent on an
    earlier examination means new now, not denied (unless the target's own clause denies it). "Unchanged
    since 09/2024 but not seen in 01/2023" is stable over the last interval: the earlier absence does not
    make it new today."""
    absent = re.search(lex.absent_before_regex, text[target.end:s1], FLAGS)
    if absent is None:
        return False
    stable = lex.interval_change.get("stable")
    if stable and re.search(stable, text[target.end:target.end + absent.start()], FLAGS):
        return False
    breaks = [m.end() for m in _CLAUSE_END.finditer(text, s0, target.start)]
    clause_start = breaks[-1] if breaks else s0
    return re.search(lex.clause_negation, text[clause_start:target.start], FLAGS) is None


def _link_same_lesion(text: str, lex: Lexicon, findings: list[Finding]) -> list[Finding]:
    """Two mentions joined by "consistent with", "suspicious for", "compatible avec" ... name one lesion.

    "An echogenic focus in segment VI, consistent with a calcification": the second mention has no organ
    of its own; "a calcification in the liver, suspicious for a calcified metastasis from colon cancer":
    the second mention's sentence names the primary's organ. Both take the organ and site of the mention
    that states one, and share their characterisation, so that lesion grouping sees one lesion.
    """
    link = re.compile(lex.same_lesion_link, FLAGS)
    out = list(findings)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a.evidence is None or b.evidence is None or a.negated or b.negated:
            continue
        if not link.match(text[a.evidence.end:b.evidence.start]):
            continue
        where: dict[str, Any] = {}
        if a.organ == b.organ:
            site = a.site or b.site
            where = {"site": site, "organ_detail": a.organ_detail or b.organ_detail}
            out[i] = a.model_copy(update=where)
            out[i + 1] = b.model_copy(update=where)
        elif b.organ == Organ.other:
            out[i + 1] = b.model_copy(update={"organ": a.organ, "site": a.site, "organ_detail": a.organ_detail})
        elif a.organ == Organ.other:
            out[i] = a.model_copy(update={"organ": b.organ, "site": b.site, "organ_detail": b.organ_detail})
        shared = _merge_characterisation(out[i].characterisation, out[i + 1].characterisation)
        out[i] = out[i].model_copy(update={"characterisation": shared})
        out[i + 1] = out[i + 1].model_copy(update={"characterisation": shared})
    return out


def _merge_characterisation(a: list[Characterisation], b: list[Characterisation]) -> list[Characterisation]:
    seen: set[str] = set()
    merged: list[Characterisation] = []
    for c in sorted([*a, *b], key=lambda c: c.evidence.start if c.evidence else 0):
        if c.label not in seen:
            seen.add(c.label)
            merged.append(c)
    return merged


def read_report(report: Report, *, prefilter: bool = True) -> Reading:
    """Read one report. Raises :class:`InputError` for text that cannot be a report (too large).

    ``prefilter=False`` is for benchmarks only: it skips the stem scan and runs the EDS-NLP pipeline over
    the whole report (the conventional way), to measure what the prefilter and the windows save.
    """
    text = report.text or ""
    if len(text) > MAX_CHARS:
        raise InputError(f"report {report.id}: text is {len(text):,} characters; the limit is {MAX_CHARS:,}")
    lang, warnings = _language(report, text)
    if not text.strip():
        return Reading(lang=lang, warnings=warnings)
    if prefilter and not may_mention_target(text, lang):
        return Reading(lang=lang, warnings=warnings)
    found = find_targets(text, lang)
    near = {t.start for t in found if _context_near(text, t)}
    # a target whose required context lies elsewhere is kept tentatively when another target of its kind has it
    kinds_near = {t.spec.id for t in found if t.start in near}
    tentative = frozenset(t.start for t in found if t.start not in near and t.spec.id in kinds_near)
    targets = [t for t in found if t.start in near or t.start in tentative]
    if not targets:
        if not prefilter:
            get_pipeline(lang).qualify(_with_no_spans(get_pipeline(lang).prepare(text)))
        return Reading(lang=lang, warnings=warnings)
    headers = find_headers(text, lang)
    findings, folded = _findings(text, lang, targets, headers, whole=not prefilter, tentative=tentative)
    return Reading(
        lang=lang,
        findings=findings,
        folded=folded,
        context=read_context(text, lang),
        report_recommendations=read_recommendations(text, lang, headers),
        warnings=warnings,
    )


_LANG_NAMES = {"en": "English", "fr": "French"}


def _language(report: Report, text: str) -> tuple[Literal["en", "fr"], list[str]]:
    """The language to read in, and a warning when the given one is contradicted by the text.

    A given ``lang`` is kept unless the detector is *decisive* for the other language (a clear majority
    of that language's function words): then the report is read in the detected language, because the
    lexicon of the wrong language finds nothing. The warning names both languages, never the text.
    """
    if report.lang not in ("en", "fr"):
        return detect_language(text), []
    given: Literal["en", "fr"] = report.lang
    decided = decisive_language(text)
    if decided is None or decided == given:
        return given, []
    return decided, [
        f"language given as {_LANG_NAMES[given]} ({given}) but the text reads as {_LANG_NAMES[decided]} "
        f"({decided}); read as {_LANG_NAMES[decided]}"
    ]


def _context_near(text: str, target: TargetMatch) -> bool:
    """Cheap pre-check of a target's ``require_context`` around it, before any tokenisation (the exact
    check on its sentence comes later): a bare "stone" far from any bile-duct word costs no pipeline run."""
    context = target.spec.require_context
    if not context:
        return True
    lo = max(0, target.start - 300)
    for m in BOUNDARY.finditer(text, lo, target.start):
        lo = m.end()
    end = BOUNDARY.search(text, target.end, target.end + 300)
    hi = end.start() if end else min(len(text), target.end + 300)
    return re.search(context, text[lo:hi], FLAGS) is not None


def _with_no_spans(doc: Any) -> Any:
    doc.spans[SPAN_KEY] = []
    return doc


def extract(report: Report) -> list[Finding]:
    """The findings of a report (DESIGN §5: the function other layers call)."""
    return read_report(report).findings
