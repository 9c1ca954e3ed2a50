"""The policy-comparison use case with the real KB and NLP: the chosen policy first, every other policy
after it, and the same alternatives as the clinician summary."""

from __future__ import annotations

from calcitrack.app.analyze import analyze
from calcitrack.app.policies import compare_policies
from calcitrack.assess.policies import other_policies
from calcitrack.explain.clinician import clinician_document
from calcitrack.explain.texts import Texts
from calcitrack.kb import get_kb
from calcitrack.models import Action, Report

GRANULOMA = "LIVER: A 4 mm punctate calcification in segment VII, with acoustic shadowing, likely a granuloma."


def test_policies_disagree_on_a_small_benign_calcification() -> None:
    kb = get_kb()
    analysis = analyze(Report(id="r1", text=GRANULOMA, lang="en"), policy="standard")
    comparison = compare_policies(analysis, kb=kb)
    assert comparison.report_id == "r1" and comparison.policy == "standard" and comparison.kb_version == kb.kb_version
    assert len(comparison.lesions) == 1
    decisions = comparison.lesions[0].decisions
    assert [d.policy for d in decisions] == ["standard", *[p for p in kb.policies if p != "standard"]]
    assert decisions[0].chosen and not any(d.chosen for d in decisions[1:])
    by_policy = {d.policy: d.action for d in decisions}
    assert by_policy["standard"] == Action.no_followup and by_policy["seed"] == Action.surveillance
    assert comparison.disagree and not comparison.lesions[0].agree
    assert all(d.sources and d.name for d in decisions)


def test_the_comparison_and_the_clinician_summary_share_the_alternatives() -> None:
    kb = get_kb()
    analysis = analyze(Report(text=GRANULOMA, lang="en"), policy="seed")
    assessment = analysis.assessments[0]
    lesion = next(lesion for lesion in analysis.lesions if lesion.id == assessment.lesion_id)
    differing = other_policies(lesion, analysis.context, assessment, kb=kb, lang="en")
    compared = compare_policies(analysis, kb=kb).lesions[0].decisions[1:]
    assert [(a.policy, a.action) for a in differing] == [(d.policy, d.action) for d in compared if
                                                          d.action != assessment.action]
    document = clinician_document(Texts(kb), analysis, "en")
    alternatives = [item.origin for item in document.items() if item.origin.startswith("kb:policy:")]
    assert [f"kb:policy:{a.policy}" for a in differing] == [o for o in alternatives if o != "kb:policy:seed"]


def test_no_assessment_no_comparison() -> None:
    analysis = analyze(Report(text="LIVER: normal. No calcification.", lang="en"))
    comparison = compare_policies(analysis)
    assert comparison.lesions == [] and not comparison.disagree
