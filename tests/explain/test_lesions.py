"""Explanations go per lesion (schema 2.0): one paragraph per calcification however often the report
names it, with its mentions, the report's own characterisation, conflicts and reading warnings."""

from __future__ import annotations

import pytest
from tests.explain.conftest import analysis_of

from calcitrack.assess import assess
from calcitrack.explain import build_document, explain_analysis
from calcitrack.kb import KnowledgeBase
from calcitrack.models import CHARACTERISATIONS, Analysis, Characterisation, Evidence, Finding, Lesion, Report
from calcitrack.service import analyze

RESTATED = {
    "en": "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm.\n"
    "IMPRESSION: Tiny hepatic calcifications.",
    "fr": "FOIE : Deux calcifications punctiformes du lobe droit, la plus grande de 3 mm.\n"
    "CONCLUSION : Petites calcifications hépatiques.",
}


@pytest.fixture(scope="module")
def restated() -> dict[str, Analysis]:
    return {lang: analyze(text) for lang, text in RESTATED.items()}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_lesion_restated_in_the_impression_gets_one_paragraph(
    restated: dict[str, Analysis], kb: KnowledgeBase, lang: str
) -> None:
    analysis = restated[lang]
    assert len(analysis.findings) == 2 and len(analysis.lesions) == 1, "the example must be one lesion, two mentions"
    radiologist = build_document(analysis, lang=lang, audience="radiologist", kb=kb).items()
    assert len(radiologist) == 1
    assert "3 mm" in radiologist[0].text
    clinician = build_document(analysis, lang=lang, audience="clinician", kb=kb)
    assert [s.key for s in clinician.sections if s.key.startswith("lesion-")] == ["lesion-1"]
    assert not any(s.key.endswith("-2") for s in clinician.sections)
    letter = build_document(analysis, lang=lang, audience="patient", kb=kb)
    found = next(s for s in letter.sections if s.key == "found")
    assert len(found.items) == 1


def test_clinician_summary_shows_the_report_action_headline_and_mentions(
    restated: dict[str, Analysis], kb: KnowledgeBase
) -> None:
    text = explain_analysis(restated["en"], "en", "clinician", kb=kb)
    assert "Report action: No follow-up needed (set by lesion 1)" in text
    assert "Headline: No follow-up needed: " in text
    assert "1 calcification assessed, named in 2 mentions of the report" in text
    assert "Named 2 times in the report: “calcifications” (findings); “calcifications” (impression)" in text
    french = explain_analysis(restated["fr"], "fr", "clinician", kb=kb)
    assert "Conduite pour le compte rendu : Pas de suivi nécessaire (fixée par la lésion 1)" in french
    assert "Citée 2 fois dans le compte rendu" in french and "(conclusion)" in french


def test_the_headline_is_rewritten_in_the_language_of_the_summary(
    restated: dict[str, Analysis], kb: KnowledgeBase
) -> None:
    text = explain_analysis(restated["en"], "fr", "clinician", kb=kb)
    assert "En une ligne : Pas de suivi nécessaire" in text
    assert "No follow-up needed" not in text


def characterised(kb: KnowledgeBase) -> Analysis:
    """Hand-built: the findings mention gives the size, the impression the radiologist's characterisation."""
    text = (
        "Liver: 4 mm echogenic focus in segment VII, consistent with a punctate calcification.\n"
        "IMPRESSION: tiny hepatic calcification, likely granulomatous."
    )
    detailed = Finding(id="f1", organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single",
                       evidence=Evidence(start=22, end=27, text="focus"))
    start = text.index("calcification,")
    restated = Finding(
        id="f2", organ="liver", count="single", size_mm=5, section="impression",
        evidence=Evidence(start=start, end=start + 13, text="calcification"),
        characterisation=[Characterisation(label="granuloma", evidence=Evidence(
            start=text.index("granulomatous"), end=len(text) - 1, text="granulomatous"))],
    )
    analysis = analysis_of([detailed, restated], kb, "en", text=text)
    return analysis.model_copy(update={"warnings": ["--lang fr given, but the report reads as English"]})


def test_characterisation_conflicts_and_warnings_are_shown(kb: KnowledgeBase) -> None:
    analysis = characterised(kb)
    assert len(analysis.lesions) == 1 and analysis.lesions[0].conflicts == {"size_mm": ["4.0", "5.0"]}
    doc = build_document(analysis, lang="en", audience="clinician", kb=kb)
    lesion = next(s for s in doc.sections if s.key == "lesion-1")
    texts = [item.text for item in lesion.items]
    assert "The report calls it: calcified granuloma (“granulomatous”)" in texts
    assert "The mentions disagree on the size: 4 mm / 5 mm; the most detailed mention's value is used" in texts
    assert lesion.heading == "Lesion 1: 4 mm punctate calcification in segment VII"
    warnings = next(s for s in doc.sections if s.key == "warnings")
    assert [item.text for item in warnings.items] == ["--lang fr given, but the report reads as English"]
    french = explain_analysis(analysis, "fr", "clinician", kb=kb)
    assert "Le compte rendu la qualifie de : granulome calcifié (« granulomatous »)" in french
    assert "Les mentions divergent sur la taille : 4 mm / 5 mm" in french


def test_the_other_policy_is_asked_about_the_lesion_not_a_mention(kb: KnowledgeBase) -> None:
    """The summary re-assesses the lesion (merged attributes, characterisation) under the other policy."""
    analysis = characterised(kb)
    lesion = analysis.lesions[0]
    other = assess(lesion, analysis.context, policy="seed", kb=kb)
    assert other.action != analysis.assessments[0].action, "the scenario needs the policies to disagree"
    text = explain_analysis(analysis, "en", "clinician", kb=kb)
    alternative = next(line for line in text.splitlines() if "Under the other policy" in line)
    assert kb.text(f"action.{other.action.value}", "en") in alternative


def test_every_characterisation_label_has_words_in_both_languages(kb: KnowledgeBase) -> None:
    for label in CHARACTERISATIONS:
        for lang in ("en", "fr"):
            assert kb.text(f"characterisation.{label}", lang).strip(), (label, lang)


def test_two_lesions_get_two_paragraphs_and_the_report_action_is_the_highest(kb: KnowledgeBase) -> None:
    small = Finding(id="f1", organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single")
    large = Finding(id="f2", organ="liver", site="segment_II", size_mm=35, count="single")
    analysis = analysis_of([small, large], kb)
    assert [a.lesion_id for a in analysis.assessments] == ["l1", "l2"]
    items = build_document(analysis, lang="en", audience="radiologist", kb=kb).items()
    assert [item.text.split(",")[0].split(";")[0] for item in items] == [
        "4 mm punctate calcification in segment VII", "35 mm calcification in segment II"
    ]
    text = explain_analysis(analysis, "en", "clinician", kb=kb)
    assert "Report action: Further work-up (set by lesion 2)" in text
    assert "Lesion 1: 4 mm punctate" in text and "Lesion 2: 35 mm" in text


def test_schema_1_analysis_without_lesions_is_grouped_by_the_one_rule(kb: KnowledgeBase) -> None:
    """An old JSON (one assessment per mention, no lesions) is grouped by calcitrack.lesions; of the
    mentions' assessments the highest action is kept, so regrouping never hides a work-up."""
    detailed = Finding(id="f1", organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single")
    restated = Finding(id="f2", organ="liver", section="impression")
    assessments = [assess(f, kb=kb) for f in (detailed, restated)]
    assert [a.lesion_id for a in assessments] == [None, None]
    assert [a.action.value for a in assessments] == ["no_followup", "workup"]
    analysis = Analysis(report=Report(text=""), findings=[detailed, restated], assessments=assessments)
    items = build_document(analysis, lang="en", audience="radiologist", kb=kb).items()
    assert len(items) == 1
    assert items[0].text.startswith("4 mm punctate calcification in segment VII")
    assert "further work-up recommended" in items[0].text


def test_recommendation_texts_follow_the_explanation_language(kb: KnowledgeBase) -> None:
    """Rules sharing a recommendation id: the texts come from the same rule as in the engine's merge, so a
    French-assessed analysis explained in English quotes no French rationale."""
    analysis = analyze(RESTATED["fr"])
    text = explain_analysis(analysis, "en", "clinician", kb=kb)
    recommendations = text.split("Recommendations")[1].split("Would change")[0]
    assert "Le consensus" not in recommendations and "recommande" not in recommendations


def test_a_lesion_is_described_like_a_finding(kb: KnowledgeBase) -> None:
    from calcitrack.explain.phrases import finding_description
    from calcitrack.explain.texts import Texts

    lesion = Lesion(organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single")
    finding = Finding(organ="liver", site="segment_VII", size_mm=4, pattern="punctate", count="single")
    texts = Texts(kb)
    assert finding_description(texts, lesion, "fr") == finding_description(texts, finding, "fr")


def test_disagreeing_values_are_shown_for_a_reader() -> None:
    from calcitrack.explain.phrases import stated_value

    assert stated_value("size_mm", "4.5", "fr") == "4,5 mm"
    assert stated_value("size_mm", "6.0", "en") == "6 mm"
    assert stated_value("site", "segment_VII", "en") == "segment VII"
    assert stated_value("count", "multiple", "en") == "multiple"
