"""The patient letter: readability of every template and every scenario, traceability, calm wording."""

from __future__ import annotations

import re
from typing import Any

import pytest

from calcitrack.explain import build_document, explain_analysis
from calcitrack.explain.readability import (
    EN_MAX_GRADE,
    FR_MIN_EASE,
    english_syllables,
    flesch_kincaid_grade,
    readability,
)
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Analysis

LANGS = ("en", "fr")
SAMPLE_VALUES: dict[str, Any] = {
    "where": "in your liver",
    "size": "4 mm",
    "interval": "3–6 months",
    "duration": "2–3 years",
    "segment": "VII",
    "signs": "a fever or pain in your belly",
    "n": 2,
    "text": "The scan showed a small spot of calcium in your liver.",
}
FRENCH_VALUES: dict[str, Any] = {
    "where": "dans votre foie",
    "size": "4 mm",
    "interval": "3 à 6 mois",
    "duration": "2 à 3 ans",
    "segment": "VII",
    "signs": "de la fièvre ou des douleurs au ventre",
    "n": 2,
    "text": "L'examen montre une petite tache de calcium dans votre foie.",
}
FRIGHTENING = re.compile(
    r"\b(fatal|deadly|death|die|dying|malignant|emergency|alarming|terminal|"
    r"mortel(?:le)?|décès|mourir|malin|maligne|urgence|alarmant)\b",
    re.IGNORECASE,
)


def letter_keys(kb: KnowledgeBase) -> list[str]:
    return sorted(
        key
        for key in kb.texts["en"]
        if key.startswith("letter.")
        and not key.endswith(".cites")
        and not key.startswith("letter.heading.")
        and key != "letter.title"
    )


def test_the_letter_has_templates_to_measure(kb: KnowledgeBase) -> None:
    assert len(letter_keys(kb)) >= 15


@pytest.mark.parametrize("lang", LANGS)
def test_every_letter_template_is_readable(kb: KnowledgeBase, lang: str) -> None:
    texts = Texts(kb)
    values = FRENCH_VALUES if lang == "fr" else SAMPLE_VALUES
    failures = []
    for key in letter_keys(kb):
        text = texts.render(key, lang, **values)
        if not re.search(r"[.!?:]$", text):
            text += "."  # fragments ("in your liver") are measured as the sentence they end up in
        result = readability(text, lang)
        if not result.ok:
            failures.append(f"{key}: {result.score:.1f} {text!r}")
    assert not failures, f"{lang} templates above target: {failures}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "scenario", ["granuloma", "granuloma_seed", "large", "cancer", "ducts", "spleen", "soft_tissue", "hydatid", "other"]
)
def test_every_letter_is_readable_calm_and_traceable(
    analyses: dict[str, Analysis], kb: KnowledgeBase, scenario: str, lang: str
) -> None:
    doc = build_document(analyses[scenario], lang=lang, audience="patient", kb=kb)
    body = " ".join(item.text for item in doc.items())
    result = readability(body, lang)
    assert result.ok, f"{scenario}/{lang}: {result.measure} {result.score:.1f}: {body}"
    assert not FRIGHTENING.search(body), FRIGHTENING.search(body)
    for item in doc.items():
        kind, _, ref = item.origin.partition(":")
        if kind == "text":
            key = ref
            assert key in kb.texts[lang], item.origin
            facts = Texts(kb).sources_of(key, lang)
            assert set(facts) <= set(item.sources)
        else:
            assert kind == "condition", item.origin
            condition_id, _, field = ref.partition(".")
            statement = getattr(kb.conditions[condition_id], field)
            assert item.text == statement.get(lang).strip()
            assert item.sources == statement.sources and item.sources
        for source_id in item.sources:
            assert source_id in kb.sources


def test_fact_sentences_of_the_letter_carry_sources(kb: KnowledgeBase) -> None:
    """Keys that state a medical fact have a `.cites` companion naming KB sources."""
    for key in ("letter.next.no_followup", "letter.ask.abdomen", "letter.ask.soft_tissue"):
        for lang in LANGS:
            ids = Texts(kb).sources_of(key, lang)
            assert ids and all(i in kb.sources for i in ids), key


def test_scenario_letter_in_english(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["granuloma"], "en", "patient", kb=kb)
    assert "The scan showed a small spot of calcium in your liver. It is about 4 mm across." in text
    assert Texts(kb).render("letter.cause.calcified_granuloma", "en") in text
    assert "No more scans are needed for this." in text
    assert "segment" not in text.lower()


def test_scenario_letter_in_french(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["granuloma"], "fr", "patient", kb=kb)
    assert "L'examen montre une petite tache de calcium dans votre foie. Elle mesure environ 4 mm." in text
    assert "Aucun autre examen n'est nécessaire pour cela." in text


def test_seed_policy_letter_gives_the_schedule(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["granuloma_seed"], "en", "patient", kb=kb)
    assert "a new scan every 3–6 months for 2–3 years" in text
    french = explain_analysis(analyses["granuloma_seed"], "fr", "patient", kb=kb)
    assert "tous les 3 à 6 mois pendant 2 à 3 ans" in french


def test_urgent_letter_asks_to_contact_the_doctor_soon(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    text = explain_analysis(analyses["cancer"], "en", "patient", kb=kb)
    assert "Please contact your doctor soon" in text
    assert "The cause is not known yet." in text


def test_printable_html_letter_escapes_and_prints(analyses: dict[str, Analysis], kb: KnowledgeBase) -> None:
    html = explain_analysis(analyses["granuloma"], "fr", "patient", "html", kb=kb)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "@media print" in html
    assert "L&#39;examen montre" in html  # autoescaped apostrophe: text cannot inject markup


def test_readability_measures_respond_to_difficulty() -> None:
    easy = "The spot is small. It is not a problem. No more scans are needed."
    hard = (
        "Hepatic calcification demonstrates heterogeneous characteristics necessitating comprehensive "
        "multidisciplinary characterisation utilising multiphasic contrast-enhanced tomography."
    )
    assert flesch_kincaid_grade(easy) < EN_MAX_GRADE < flesch_kincaid_grade(hard)
    assert readability("La tache est petite. Elle est sans danger.", "fr").score > FR_MIN_EASE
    assert (
        readability(
            "L'hétérogénéité caractéristique des calcifications hépatiques nécessite une caractérisation "
            "pluridisciplinaire approfondie par tomodensitométrie multiphasique.",
            "fr",
        ).score
        < FR_MIN_EASE
    )
    assert english_syllables("calcification") >= 4
    assert english_syllables("spot") == 1
