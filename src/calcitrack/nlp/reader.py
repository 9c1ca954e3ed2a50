"""``read_report``: a report in, its findings, patient context and own recommendations out.

Steps (DESIGN §5): language → prefilter → targets on the raw text → EDS-NLP on *windows* around the
targets (tokens, normaliser, sentences, qualifiers) → organ/site and attributes per target → context and
recommendations. Running the pipeline only on the paragraphs that hold a target, rather than on the whole
report, is what keeps long reports cheap; the qualifiers only look inside the target's sentence anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from calcitrack.errors import InputError
from calcitrack.models import Evidence, Finding, Organ, PatientContext, Report, ReportRecommendation, Section
from calcitrack.nlp.attributes import read_count, read_flags, read_interval_change, read_pattern, read_size
from calcitrack.nlp.context import read_context
from calcitrack.nlp.language import detect_language
from calcitrack.nlp.lexicon import FLAGS, Lexicon, get_lexicon
from calcitrack.nlp.pipeline import SPAN_KEY, get_pipeline
from calcitrack.nlp.prefilter import may_mention_target
from calcitrack.nlp.recommendations import read_recommendations
from calcitrack.nlp.sections import Header, find_headers, header_at, section_at
from calcitrack.nlp.sites import Placement, choose_cue, organ_cues, place
from calcitrack.nlp.targets import TargetMatch, find_targets

MAX_CHARS = 20_000_000
"""Reports longer than this are refused (a clear error, not an out-of-memory)."""

WINDOW_BEFORE = 400
WINDOW_AFTER = 250
PREVIOUS_SENTENCES = 2
"""How many earlier sentences (same paragraph) may give a finding its organ when its own names none."""
_SENTENCE_END = re.compile(r"[.!?]\s+|\n\s*\n")


@dataclass
class Reading:
    """What the report says: language, findings, patient context, the report's own recommendations."""

    lang: Literal["en", "fr"]
    findings: list[Finding] = field(default_factory=list)
    context: PatientContext = field(default_factory=PatientContext)
    report_recommendations: list[ReportRecommendation] = field(default_factory=list)


def _windows(text: str, targets: list[TargetMatch]) -> list[tuple[int, int, list[TargetMatch]]]:
    """Merge the targets into text windows that start and end on sentence boundaries."""
    windows: list[tuple[int, int, list[TargetMatch]]] = []
    for target in targets:
        lo = max(0, target.start - WINDOW_BEFORE)
        if lo > 0:
            m = _SENTENCE_END.search(text, lo, target.start)
            lo = m.end() if m else lo
        hi = min(len(text), target.end + WINDOW_AFTER)
        m = _SENTENCE_END.search(text, target.end, hi) if hi < len(text) else None
        if m:
            # extend to the end of the sentence that holds the target, then one sentence further
            m2 = _SENTENCE_END.search(text, m.end(), min(len(text), m.end() + WINDOW_AFTER))
            hi = m2.start() + 1 if m2 else hi
        if windows and lo <= windows[-1][1]:
            start, _, members = windows[-1]
            windows[-1] = (start, max(hi, windows[-1][1]), [*members, target])
        else:
            windows.append((lo, hi, [target]))
    return windows


_CLAUSE_BREAK = re.compile(r"(?<!\d),|,(?!\d)|[;:()]|\b(?:which|who|but|whereas|mais|qui|dont|alors)\b", re.IGNORECASE)


def clause_bounds(text: str, s0: int, s1: int, target: TargetMatch) -> tuple[int, int]:
    """The clause of the sentence [s0, s1) that holds the target (split at punctuation and relatives)."""
    lo, hi = s0, s1
    for m in _CLAUSE_BREAK.finditer(text, s0, s1):
        if m.end() <= target.start:
            lo = m.end()
        elif m.start() >= target.end:
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
    if spec.organ is not None:
        return Placement(spec.organ, spec.site, None)
    s0, s1 = sent
    sentence = text[s0:s1]
    cue = choose_cue(organ_cues(sentence, lang, s0), target.start, target.end, clause_bounds(text, s0, s1, target))
    if cue is None:
        header = header_at(headers, target.start)
        if header is not None and header.organ:
            hcues = organ_cues(header.title, lang, header.start)
            cue = hcues[0] if hcues else None
    if cue is None and last is not None and not spec.require_organ:
        before = text[max(0, target.start - 12):target.start]
        anaphoric = re.search(get_lexicon(lang).definite_determiners, before, FLAGS) is not None
        if anaphoric or (prev and last[0] >= prev[-1][0]):
            return last[1]
    for p0, p1 in prev:
        if cue is not None:
            break
        if re.match(get_lexicon(lang).negative_sentence, text[p0:p1], FLAGS):
            continue  # "No biliary dilatation." names an organ only to deny something about it
        pcues = organ_cues(text[p0:p1], lang, p0)
        cue = pcues[-1] if pcues else None
    if spec.require_organ and (cue is None or cue.organ not in spec.require_organ):
        return None
    if cue is None:
        return Placement(Organ.other, None, None)
    return place(cue, sentence, lang)


def _findings(
    text: str, lang: Literal["en", "fr"], targets: list[TargetMatch], headers: list[Header], *, whole: bool = False
) -> list[Finding]:
    lex = get_lexicon(lang)
    pipeline = get_pipeline(lang)
    findings: list[Finding] = []
    last: tuple[int, Placement] | None = None
    windows = [(0, len(text), targets)] if whole else _windows(text, targets)
    for lo, hi, members in windows:
        doc = pipeline.prepare(text[lo:hi])
        spans: list[Any] = []
        kept: list[TargetMatch] = []
        for target in members:
            span = doc.char_span(target.start - lo, target.end - lo, alignment_mode="expand")
            if span is None or any(span.start < s.end and s.start < span.end for s in spans):
                continue
            spans.append(span)
            kept.append(target)
        doc.spans[SPAN_KEY] = spans
        pipeline.qualify(doc)
        sents = list(doc.sents)
        for target, span in zip(kept, spans, strict=True):
            sent = span.sent
            s0, s1 = sent.start_char + lo, sent.end_char + lo
            index = next((i for i, s in enumerate(sents) if s.start == sent.start), 0)
            prev: list[tuple[int, int]] = []
            for p in reversed(sents[max(0, index - PREVIOUS_SENTENCES):index]):
                if re.search(r"\n\s*\n", text[p.start_char + lo:s0]):
                    break  # the organ of an earlier paragraph does not carry over
                prev.append((p.start_char + lo, p.end_char + lo))
            sentence = text[s0:s1]
            spec = target.spec
            if spec.require_context and not re.search(spec.require_context, sentence, FLAGS):
                continue
            placement = _place(text, lang, target, (s0, s1), prev, headers, last)
            if placement is None:
                continue
            last = (target.end, placement)
            prefix_negated = re.match(lex.negating_prefix, target.text, FLAGS) is not None or (
                re.search(lex.negating_word_before, text[max(0, target.start - 5):target.start], FLAGS) is not None
            )
            negated = bool(span._.negation) or prefix_negated
            section, historical_section = section_at(headers, target.start)
            a0, a1 = target.start - s0, target.end - s0
            shadow, dilatation, mass = read_flags(sentence, lex)
            disease = spec.disease_after is not None and re.match(
                spec.disease_after, text[target.end:target.end + 40], FLAGS) is not None
            findings.append(
                Finding(
                    id="f0",
                    organ=placement.organ,
                    organ_detail=placement.detail,
                    site=placement.site,
                    count=None if negated or disease else read_count(
                        sentence, a0, a1, target.text, lang, lesion=spec.lesion, mass_noun=spec.mass_noun
                    ),
                    size_mm=None if negated else read_size(sentence, a0, a1, lang),
                    pattern=None if negated else read_pattern(sentence, a0, a1, target.text, lang),
                    acoustic_shadow=shadow,
                    duct_dilatation=dilatation,
                    associated_mass=mass,
                    interval_change=None if negated else read_interval_change(sentence, lex),
                    negated=negated,
                    uncertain=bool(span._.hypothesis) or (not negated and re.search(
                        lex.alternative_before, text[max(0, target.start - 30):target.start], FLAGS) is not None),
                    historical=bool(span._.history) or historical_section or _past_episode(text, sentence, s1, lex),
                    section=section,
                    evidence=Evidence(start=target.start, end=target.end, text=text[target.start:target.end]),
                    lang=lang,
                )
            )
    findings.sort(key=lambda f: f.evidence.start if f.evidence else 0)
    findings = _sizes_of_restated_lesions(findings)
    return [f.model_copy(update={"id": f"f{i}"}) for i, f in enumerate(findings, start=1)]


def _past_episode(text: str, sentence: str, sentence_end: int, lex: Lexicon) -> bool:
    """The sentence speaks of a stay that the rest of the narrative later calls an earlier one."""
    if not re.search(lex.episode_sentence, sentence, FLAGS) or re.search(lex.later_episode, sentence, FLAGS):
        return False
    return re.compile(lex.later_episode, FLAGS).search(text, sentence_end) is not None


def _sizes_of_restated_lesions(findings: list[Finding]) -> list[Finding]:
    """An impression that restates a lesion ("Conclusion: stable calcification of segment VII") without
    its size takes the size of the same lesion described earlier in the findings: same organ and the
    same named site, exactly one earlier sized candidate. Anything less certain is left unsized.
    """
    out: list[Finding] = []
    for f in findings:
        if f.section == Section.impression and f.size_mm is None and f.site and not f.negated:
            earlier = {e.size_mm for e in out if e.organ == f.organ and e.site == f.site and e.size_mm
                       and e.section == Section.findings and not e.negated}
            if len(earlier) == 1:
                f = f.model_copy(update={"size_mm": earlier.pop()})
        out.append(f)
    return out


def read_report(report: Report, *, prefilter: bool = True) -> Reading:
    """Read one report. Raises :class:`InputError` for text that cannot be a report (too large).

    ``prefilter=False`` is for benchmarks only: it skips the stem scan and runs the EDS-NLP pipeline over
    the whole report (the conventional way), to measure what the prefilter and the windows save.
    """
    text = report.text or ""
    if len(text) > MAX_CHARS:
        raise InputError(f"report {report.id}: text is {len(text):,} characters; the limit is {MAX_CHARS:,}")
    lang: Literal["en", "fr"] = report.lang if report.lang in ("en", "fr") else detect_language(text)
    if not text.strip():
        return Reading(lang=lang)
    if prefilter and not may_mention_target(text, lang):
        return Reading(lang=lang)
    targets = find_targets(text, lang)
    if not targets:
        if not prefilter:
            get_pipeline(lang).qualify(_with_no_spans(get_pipeline(lang).prepare(text)))
        return Reading(lang=lang)
    headers = find_headers(text, lang)
    findings = _findings(text, lang, targets, headers, whole=not prefilter)
    return Reading(
        lang=lang,
        findings=findings,
        context=read_context(text, lang),
        report_recommendations=read_recommendations(text, lang, headers),
    )


def _with_no_spans(doc: Any) -> Any:
    doc.spans[SPAN_KEY] = []
    return doc


def extract(report: Report) -> list[Finding]:
    """The findings of a report (DESIGN §5: the function other layers call)."""
    return read_report(report).findings
