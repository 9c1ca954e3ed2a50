"""Property-based tests (Hypothesis) of the report reader and the size/count parsers.

Why: reports are free text typed by people under time pressure and pasted through systems that mangle
encodings; the reader must never raise on any string, and what it extracts must stay consistent with the
text (spans inside the text, evidence equal to the slice, sizes within the model's bounds, counts >= 1).
Generated text mixes report vocabulary (calcification terms, organs, units, numbers, negations, French
decimals) with arbitrary unicode, control characters and huge numbers, so that the interesting branches
(targets found, sizes read) are reached, not only the prefilter's early exit.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reliability import Recorder, scale

from calcitrack.models import Finding, Report
from calcitrack.nlp import read_report
from calcitrack.nlp.attributes import find_sizes, read_count, read_size

pytestmark = pytest.mark.reliability

WORDS = [
    "calcification", "calcifications", "calcified granuloma", "echogenic focus", "with acoustic shadowing",
    "calcification hépatique", "calcifications", "granulome calcifié", "liver", "Liver:", "foie", "spleen",
    "rate", "segment VII", "right lobe", "no", "No evidence of", "pas de", "without", "possible", "history of",
    "mm", "cm", "millimetres", "centimètres", "x", "×", "by", "sur", "mm mm", "cm cm", "2,5 cm", "2.1 x 1.8 cm",
    "0 mm", "0.0 cm", "999999999999999999999 mm", "1e308 cm", "-5 mm", "5.", ",", ".", ";", ":", "\n", "\n\n",
    "IMPRESSION:", "Findings:", "CONCLUSION :", "stable", "new", "increased", "several", "multiple", "two", "a",
    "3", "12", "1000", "1001", "١٢ mm", "５ mm", "\u200b", "\x00", "\x0b", "\x1c", "\ufeff", "\ud7ff", "🙂",
    "{{7*7}}", "<script>", "' OR 1=1 --",
]
report_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=60).map(" ".join)
langs = st.sampled_from(["en", "fr", None])


def _check_findings(text: str, findings: list[Finding]) -> None:
    for finding in findings:
        assert finding.evidence is not None
        start, end = finding.evidence.start, finding.evidence.end
        assert 0 <= start <= end <= len(text)
        assert finding.evidence.text == text[start:end]
        assert finding.size_mm is None or 0 < finding.size_mm <= 1000
        assert finding.count is None or finding.count in ("single", "multiple") or (
            isinstance(finding.count, int) and finding.count >= 1)
        Finding.model_validate(finding.model_dump(mode="json"))  # what the reader builds is valid JSON too


def test_reader_never_raises_and_spans_match_the_text(reliability: Recorder) -> None:
    examples = scale(60, 1500)
    tried = found = 0

    @given(text=report_text, lang=langs)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(text: str, lang: str | None) -> None:
        nonlocal tried, found
        tried += 1
        reading = read_report(Report(text=text, lang=lang))  # type: ignore[arg-type]
        assert reading.lang in ("en", "fr")
        _check_findings(text, reading.findings)
        found += len(reading.findings)
        for rec in reading.report_recommendations:
            if rec.evidence is not None:
                assert rec.evidence.text == text[rec.evidence.start:rec.evidence.end]

    run()
    assert found > 0, "the generator never reached a finding: it tests only the prefilter"
    reliability.row(area="fuzzing", check="Report reader on generated hostile text (Hypothesis)",
                    inputs=f"{tried:,} generated texts (report words, unicode, control chars, huge numbers)",
                    result=f"0 crashes; {found:,} findings, every span inside the text and evidence == slice")


@given(tenths=st.integers(min_value=1, max_value=9999), lang=st.sampled_from(["en", "fr"]))
@settings(max_examples=scale(100, 1000), deadline=None, database=None)
def test_a_size_in_cm_is_ten_times_the_mm_value(tenths: int, lang: str) -> None:
    """"2.5 cm" (or "2,5 cm" in French) reads as 25 mm, exactly as "25 mm" does."""
    separator = "," if lang == "fr" else "."
    cm = find_sizes(f"calcification {tenths // 10}{separator}{tenths % 10} cm", lang)
    mm = find_sizes(f"calcification {tenths} mm", lang)
    if tenths <= 1000:
        assert [s.mm for s in cm] == [s.mm for s in mm] == [float(tenths)]
    else:  # above the model's 1000 mm bound a "size" is a misread number: neither form is kept
        assert cm == [] and mm == []


@given(dims=st.lists(st.integers(min_value=1, max_value=300), min_size=2, max_size=3))
@settings(max_examples=scale(50, 500), deadline=None, database=None)
def test_multi_dimension_size_is_the_largest_dimension(dims: list[int]) -> None:
    text = "a " + " x ".join(f"{d / 10:.1f}" for d in dims) + " cm calcification"
    assert [s.mm for s in find_sizes(text, "en")] == [float(max(dims))]


@given(sentence=report_text, lang=st.sampled_from(["en", "fr"]), data=st.data())
@settings(max_examples=scale(100, 1000), deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_size_and_count_readers_never_raise_and_stay_in_bounds(sentence: str, lang: str, data: st.DataObject) -> None:
    for size in find_sizes(sentence, lang):
        assert 0 < size.mm <= 1000 and 0 <= size.start < size.end <= len(sentence)
    start = data.draw(st.integers(min_value=0, max_value=len(sentence)))
    end = data.draw(st.integers(min_value=start, max_value=len(sentence)))
    size = read_size(sentence, start, end, lang)
    assert size is None or 0 < size <= 1000
    # The anchor is what the target matcher found: never blank (read_count's contract).
    anchor = sentence[start:end] if sentence[start:end].strip() else "calcification"
    for lesion in (True, False):
        count = read_count(sentence, start, end, anchor, lang, lesion=lesion, mass_noun=not lesion)
        assert count is None or count in ("single", "multiple") or (isinstance(count, int) and 1 <= count <= 99)
