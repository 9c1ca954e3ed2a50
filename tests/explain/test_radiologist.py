"""The impression sentence: wording, policy, language, and the degenerate cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from calcitrack.explain import build_document, explain_analysis
from calcitrack.explain.phrases import segment_label, size_words
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Analysis, Report


def sentence(analysis: Analysis, kb: KnowledgeBase, lang: str = "en") -> str:
    items = build_document(analysis, lang=lang, audience="radiologist", kb=kb).items()
    assert len(items) == 1
    return items[0].text


def test_typical_granuloma_sentence_in_english(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    assert sentence(analyses["granuloma"], kb) == (
        "4 mm punctate calcification in segment VII, most consistent with a calcified granuloma; "
        "no follow-up imaging needed."
    )


def test_typical_granuloma_sentence_in_french(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    assert sentence(analyses["granuloma"], kb, "fr") == (
        "Calcification ponctuée de 4 mm du segment VII ; diagnostic le plus probable : granulome calcifié ; "
        "pas de suivi par imagerie nécessaire."
    )


def test_seed_policy_gives_the_surveillance_schedule_and_names_the_policy(
    analyses: dict[str, Analysis], kb: KnowledgeBase
) -> None:
    text = sentence(analyses["granuloma_seed"], kb)
    assert "ultrasound every 3 to 6 months for 2 to 3 years" in text
    assert "no follow-up" not in text
    assert kb.policies["seed"].name.en in text
    french = sentence(analyses["granuloma_seed"], kb, "fr")
    assert "tous les 3 à 6 mois" in french and "politique" in french


def test_workup_sentence_lists_the_tests(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = sentence(analyses["large"], kb)
    assert text.startswith("35 mm calcification in the liver")
    assert "further work-up recommended:" in text
    assert "CT" in text and "MRI" in text


def test_urgent_sentence_says_urgent(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = sentence(analyses["cancer"], kb)
    assert text.startswith("Multiple calcifications in the liver, up to 15 mm")
    assert "urgent" in text


def test_french_sentence_of_an_english_assessment_is_all_french(
    kb: KnowledgeBase, build: Callable[..., Analysis], scenarios: dict[str, Any]
) -> None:
    analysis = build(scenarios["large"], "en")
    text = sentence(analysis, kb, "fr")
    assert "bilan complémentaire recommandé" in text
    assert "Multiphase" not in text and "recommended" not in text


def test_no_assessment_gives_a_plain_statement(kb: KnowledgeBase) -> None:
    empty = Analysis(report=Report(text=""))
    assert "No calcification finding needs a recommendation." in explain_analysis(empty, "en", "radiologist", kb=kb)


@pytest.mark.parametrize(
    ("site", "label"),
    [
        ("segment_VII", "VII"),
        ("segment_7", "VII"),
        ("S4a", "IVa"),
        ("segment_IVb", "IVb"),
        ("right_lobe", None),
        ("segment_12", None),
        (None, None),
    ],
)
def test_segment_labels(site: str | None, label: str | None) -> None:
    assert segment_label(site) == label


def test_sizes_use_the_decimal_mark_of_the_language() -> None:
    assert size_words(4.0, "en") == "4 mm"
    assert size_words(4.5, "en") == "4.5 mm"
    assert size_words(4.5, "fr") == "4,5 mm"
    assert size_words(None, "fr") == ""


def test_analysis_explanation_api(analyses: dict[str, Analysis]) -> None:
    """``Analysis.explanation`` (models.py) goes through ``explain_analysis`` with the packaged KB."""
    text = analyses["granuloma"].explanation("fr", "radiologist")
    assert "diagnostic le plus probable : granulome calcifié" in text
    assert analyses["granuloma"].explanation().startswith("Your scan result explained")


def test_unknown_audience_or_format_is_an_input_error(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    from calcitrack.errors import InputError

    with pytest.raises(InputError, match="audience"):
        explain_analysis(analyses["granuloma"], "en", "nurse", kb=kb)
    with pytest.raises(InputError, match="format"):
        explain_analysis(analyses["granuloma"], "en", "patient", "pdf", kb=kb)
    with pytest.raises(InputError, match="language"):
        explain_analysis(analyses["granuloma"], "de", "patient", kb=kb)


def test_one_calcification_mentioned_twice_is_explained_once(kb: KnowledgeBase) -> None:
    from calcitrack.assess import assess
    from calcitrack.models import Finding

    detailed = Finding(id="f1", organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single")
    restated = Finding(id="f2", organ="liver", pattern="punctate", section="impression")
    other = Finding(id="f3", organ="liver", site="segment_II", size_mm=6, count="single")
    findings = [restated, detailed, other]
    analysis = Analysis(
        report=Report(text=""),
        findings=findings,
        assessments=[assess(f, kb=kb) for f in findings],
    )
    items = build_document(analysis, lang="en", audience="radiologist", kb=kb).items()
    assert [item.text.split(",")[0] for item in items] == [
        "4 mm punctate calcification in segment VII",
        "6 mm calcification in segment II",
    ]
