"""``calcitrack.analyze``: text -> mentions -> lesions -> one assessment per lesion -> report summary.

These run the real EDS-NLP pipelines and the shipped knowledge base end to end (no stubs): they fail
when reading, grouping or the rules regress.
"""

from __future__ import annotations

import pytest

from calcitrack import analyze
from calcitrack.models import ACTION_RANK, Action, PatientContext


def test_restatement_in_the_impression_is_the_same_lesion() -> None:
    analysis = analyze(
        "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm.\n"
        "IMPRESSION: Tiny hepatic calcifications.", lang="en",
    )
    assert len(analysis.findings) == 2
    (lesion,) = analysis.lesions
    assert lesion.finding_ids == [f.id for f in analysis.findings]
    assert (lesion.organ.value, lesion.size_mm, lesion.count) == ("liver", 3.0, 2)
    (assessment,) = analysis.assessments
    assert assessment.lesion_id == lesion.id and assessment.action == Action.no_followup
    assert analysis.summary.action == Action.no_followup and analysis.summary.lesion_id == lesion.id
    assert analysis.summary.headline


def test_small_splenic_granulomas_without_a_size_need_no_follow_up() -> None:
    analysis = analyze(
        "The spleen contains several small calcified granulomas, but no evidence of masses.", lang="en"
    )
    (lesion,) = [lesion for lesion in analysis.lesions if lesion.current]
    assert lesion.organ.value == "spleen" and lesion.count == "multiple"
    assert [a.action for a in analysis.assessments] == [Action.no_followup]


def test_french_restatement_gives_one_lesion() -> None:
    analysis = analyze(
        "FOIE : calcification ponctuée de 4 mm du segment VII.\nCONCLUSION : calcification hépatique séquellaire.",
        lang="fr",
    )
    assert len(analysis.findings) == 2 and len(analysis.lesions) == 1
    assert [a.action for a in analysis.assessments] == [Action.no_followup]


def test_no_current_lesion_gives_no_report_action() -> None:
    analysis = analyze("LIVER: no calcification. SPLEEN: normal.", lang="en")
    assert analysis.findings and all(f.negated for f in analysis.findings)
    assert analysis.assessments == [] and analysis.summary.action is None and analysis.summary.headline == ""


def test_out_of_scope_organs_do_not_set_the_report_action() -> None:
    analysis = analyze("Dense calcification of the abdominal aorta. No other abnormality.", lang="en")
    assert analysis.lesions and all(lesion.organ.value == "other" for lesion in analysis.lesions)
    assert analysis.summary.action is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_caller_context_wins_and_raises_the_action(lang: str) -> None:
    text = {
        "en": "LIVER: a 4 mm punctate calcification in segment VII.",
        "fr": "FOIE : calcification ponctuée de 4 mm du segment VII.",
    }[lang]
    plain = analyze(text, lang=lang)
    cancer = analyze(text, lang=lang, context=PatientContext(known_primary_cancer="colorectal_mucinous"))
    assert plain.summary.action == Action.no_followup
    assert cancer.summary.action is not None
    assert ACTION_RANK[cancer.summary.action] > ACTION_RANK[Action.no_followup]
    assert cancer.context.known_primary_cancer == "colorectal_mucinous"
