"""Negation, uncertainty and history through EDS-NLP qualifiers with calcitrack's trigger lists."""

from __future__ import annotations

import pytest
from tests.nlp.conftest import finding

from calcitrack.nlp.lexicon import get_lexicon
from calcitrack.nlp.pipeline import SPAN_KEY, get_pipeline


def _negated(text: str, concept: str, lang: str = "en") -> bool:
    pipeline = get_pipeline(lang)
    doc = pipeline.prepare(text)
    start = text.index(concept)
    span = doc.char_span(start, start + len(concept), alignment_mode="expand")
    doc.spans[SPAN_KEY] = [span]
    pipeline.qualify(doc)
    return bool(span._.negation)


@pytest.mark.parametrize(
    "text",
    [
        "The patient has a calcification.",
        "A calcification dated from the prior exam.",
        "There is a trace of calcification.",
        "The liver a calcification.",
        "calcification fait date trace a.",
    ],
)
def test_english_negation_does_not_fire_on_french_verbs(text: str) -> None:
    # eds.negation(verbs=[]) would load every conjugated French verb ("a", "date", "trace" ...)
    assert not _negated(text, "calcification")


def test_english_negation_verbs_are_english_and_explicit() -> None:
    lex = get_lexicon("en")
    assert lex.negation.verbs_preceding, "an empty verb list makes EDS-NLP fall back to French verbs"
    negation = get_pipeline("en").qualifiers[0]
    assert negation.english_verbs[0] == lex.negation.verbs_preceding
    assert _negated("The patient denies calcification.", "calcification")


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No calcification.", "calcification"),
        ("There is no evidence of calcification.", "calcification"),
        ("Without calcification or mass.", "calcification"),
        ("No definite calcification is seen.", "calcification"),
        ("Calcification is not seen.", "Calcification"),
        ("The liver shows no neoplasm, fibrosis or calcification.", "calcification"),
        ("Doppler negative   for calcification.", "calcification"),
    ],
)
def test_english_negated(text: str, concept: str) -> None:
    assert _negated(text, concept)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("No change in the calcification.", "calcification"),
        ("No mass, but there is a calcification.", "calcification"),
        ("CT without contrast: calcified mass.", "calcified"),
        ("The wire could not advance beyond the calcified plaque.", "calcified"),
        ("The left main has no significant disease other than calcification.", "calcification"),
    ],
)
def test_english_affirmed(text: str, concept: str) -> None:
    assert not _negated(text, concept)


def test_french_negation() -> None:
    assert _negated("Pas de calcification.", "calcification", "fr")
    assert _negated("Foie sans calcification.", "calcification", "fr")
    assert _negated("La calcification n'a pas été retrouvée.", "calcification", "fr")
    assert not _negated("Pas d'anomalie en dehors de calcifications spléniques.", "calcifications", "fr")


def test_prefix_negation() -> None:
    assert finding("An 8 mm noncalcified nodule.", "noncalcified").negated
    assert finding("A non-calcified nodule.", "non-calcified").negated
    assert finding("A non calcified adrenal mass.", "calcified").negated


def test_uncertainty() -> None:
    assert finding("Findings may represent calcification.", "calcification").uncertain
    assert finding("Possible calcification in the liver.", "calcification").uncertain
    assert finding("Hemorrhage or calcification in the lesion.", "calcification").uncertain
    text = "A calcification in the liver, likely related to old granulomatous disease."
    assert not finding(text, "calcification").uncertain
    assert not finding("Suspicious calcifications in the left breast.", "calcifications").uncertain
    assert finding("Image évoquant une calcification hépatique.", "calcification", "fr").uncertain


def test_history() -> None:
    text = "PAST MEDICAL HISTORY: Splenic calcified granuloma.\nFINDINGS: A calcification in the liver."
    assert finding(text, "calcified granuloma").historical
    assert not finding(text, "calcification").historical
    assert not finding("History of diabetes and calcifications on x-ray.", "calcifications").historical


def test_finding_of_an_earlier_stay_is_historical() -> None:
    text = ("L'échographie rénale au cours de cette hospitalisation était normale, sans néphrocalcinose. "
            "Un an plus tard, une néphrocalcinose bilatérale est apparue, absente lors de la première hospitalisation.")
    first, second = (f for f in read_report_findings(text))
    assert first.historical and first.negated
    assert not second.historical and not second.negated


def read_report_findings(text: str) -> list:  # type: ignore[type-arg]
    from tests.nlp.conftest import read

    return read(text, "fr").findings
