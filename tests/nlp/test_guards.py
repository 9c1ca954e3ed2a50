"""The guarded scan must find exactly what the plain regex finds, only faster.

Why: every whole-report pattern of the context and recommendation readers goes through
:class:`GuardedRegex`; one missed match would silently drop a fever or a known cancer. The equivalence is
checked on every such pattern of both lexicons, over real report text and over generated text built from
the patterns' own words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcitrack.nlp.guards import GuardedRegex, literal_guard
from calcitrack.nlp.lexicon import LANGS, fold, get_lexicon

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "calcitrack" / "examples" / "reports.jsonl"
CASES = sorted((Path(__file__).resolve().parents[1] / "data").glob("*/cases_*.jsonl"))


def _whole_report_patterns() -> list[str]:
    patterns: list[str] = []
    for lang in LANGS:
        lex = get_lexicon(lang)
        ctx = lex.context
        patterns += [ctx.cancer, ctx.age, ctx.female, ctx.male, *ctx.flags.values(),
                     *ctx.prior_liver_treatment.values()]
        patterns += [p for p in (ctx.age_months,) if p]
        patterns += [lex.recommendation.trigger, lex.recommendation.no_followup]
        patterns += [target.regex for target in lex.targets]  # find_targets scans with GuardedRegex too
    return patterns


PATTERNS = _whole_report_patterns()


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in CASES:
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [fold(t) for t in texts]


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


def test_guard_reads_literals_groups_and_classes() -> None:
    assert literal_guard(r"\bcirrho\w+|\bhepatitis\s+[bc]\b") == ("cirrho", "hepatitis")
    assert literal_guard(r"\bh[ée]patite\b") == ("hepatite", "hépatite")
    assert literal_guard(r"\b(?:radio|micro)wave\b|\brfa\b") == ("radiowave", "microwave", "rfa")
    assert literal_guard(r"\b(?:alpha-?feto|afp)\s") == ("alpha", "afp")


def test_no_guard_when_a_match_may_start_anywhere() -> None:
    assert literal_guard(r"(?:a|b)c") == ("ac", "bc")
    assert literal_guard(r"(?:a|b)\w") is None  # one-letter prefixes are not worth a guard
    assert literal_guard(r"\b(\d{1,3})[-\s]years?") is None
    assert literal_guard(r"\bm[^e]tastase") is None  # a negated class is not a list of letters


def test_most_whole_report_patterns_are_guarded() -> None:
    guarded = [p for p in PATTERNS if literal_guard(p) is not None]
    assert len(guarded) >= 0.75 * len(PATTERNS)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_matches_as_the_regex_on_reports(pattern: str) -> None:
    guarded, plain = GuardedRegex.compile(pattern), re.compile(pattern)
    for text in _texts():
        assert _spans(guarded.finditer(text)) == _spans(plain.finditer(text))
        first = guarded.search(text)
        assert (first.span() if first else None) == (m.span() if (m := plain.search(text)) else None)


def _pieces(pattern: str) -> list[str]:
    """Words of the pattern itself, so generated text is dense in near-misses and overlaps."""
    return [w for w in re.findall(r"[a-zàâäçéèêëîïôöùûüÿœ]{2,}", pattern)][:40] or ["x"]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_same_matches_as_the_regex_on_generated_text(data: st.DataObject) -> None:
    pattern = data.draw(st.sampled_from(PATTERNS))
    words = st.sampled_from(_pieces(pattern)) | st.sampled_from(["12", "ng/ml", "é", "-", "of", "de"])
    separators = st.sampled_from([" ", "", "  ", "\n", ", ", "-", "'"])
    parts = data.draw(st.lists(st.tuples(words, separators), max_size=30))
    text = "".join(w + s for w, s in parts)
    guarded, plain = GuardedRegex.compile(pattern), re.compile(pattern)
    assert _spans(guarded.finditer(text)) == _spans(plain.finditer(text))
