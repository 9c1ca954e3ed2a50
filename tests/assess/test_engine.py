"""Engine mechanics on the mini KB: resolution, policies, merging, missing information."""

from __future__ import annotations

import pytest

from calcitrack.assess.engine import AssessmentError, assess, assess_findings
from calcitrack.models import Action, Finding, PatientContext, ReportAgreement, ReportRecommendation
from calcitrack.settings import get_settings


def test_small_liver_focus_needs_no_followup_under_standard(mini_kb) -> None:
    result = assess(Finding(organ="liver", size_mm=4, count=1), kb=mini_kb, policy="standard")
    assert result.action == Action.no_followup
    assert result.rules_fired == ["R_small"]
    assert result.differential[0].condition_id == "granuloma"
    assert result.policy == "standard"
    assert result.kb_version.startswith("test-1+lex.")


def test_seed_policy_gives_surveillance_with_interval(mini_kb) -> None:
    result = assess(Finding(organ="liver", size_mm=4), kb=mini_kb, policy="seed")
    assert result.action == Action.surveillance
    [rec] = result.recommendations
    assert (rec.kind.value, rec.interval, rec.duration) == ("imaging", "P3M..P6M", "P2Y..P3Y")
    assert result.sources == ["seed.txt"]


def test_highest_action_wins_and_differential_is_ranked(mini_kb) -> None:
    finding = Finding(organ="liver", size_mm=8, interval_change="increased")
    context = PatientContext(known_primary_cancer="colorectal_mucinous")
    result = assess(finding, context, kb=mini_kb)
    assert result.action == Action.urgent
    assert set(result.rules_fired) == {"R_cancer", "R_growth"}
    ids = [entry.condition_id for entry in result.differential]
    assert ids == ["metastasis", "granuloma"]
    top = result.differential[0]
    assert top.tier.value == "likely" and top.weight == 4.0 and len(top.reasons) == 2


def test_recommendations_merged_without_duplicates(mini_kb) -> None:
    finding = Finding(organ="liver", size_mm=8, interval_change="increased")
    result = assess(finding, PatientContext(known_primary_cancer="breast"), kb=mini_kb)
    assert [rec.id for rec in result.recommendations] == ["mri", "ct"]


def test_unknown_fact_never_satisfies_a_comparison(mini_kb) -> None:
    # size unknown: R_small cannot fire, so the fallback decides
    result = assess(Finding(organ="liver"), kb=mini_kb)
    assert result.rules_fired == ["R_fallback"]
    assert result.action == Action.workup


def test_other_organ_is_out_of_scope(mini_kb) -> None:
    result = assess(Finding(organ="other", size_mm=5), kb=mini_kb)
    assert result.action == Action.out_of_scope
    assert result.differential == []


def test_missing_information_lists_questions_that_change_the_action(mini_kb) -> None:
    result = assess(Finding(organ="liver", size_mm=4), kb=mini_kb)
    assert result.missing_information_ids == ["Q1", "Q2"]  # fever changes nothing in the mini KB
    assert result.missing_information[0] == "Known cancer?"


def test_known_facts_are_not_asked_again(mini_kb) -> None:
    result = assess(Finding(organ="liver", size_mm=4, interval_change="stable"),
                    PatientContext(known_primary_cancer="none"), kb=mini_kb)
    assert result.missing_information_ids == []


def test_french_texts(mini_kb) -> None:
    result = assess(Finding(organ="liver", size_mm=4), kb=mini_kb, lang="fr")
    assert result.differential[0].reasons == ["small (fr)"]
    assert result.missing_information[0] == "Known cancer? (fr)"


def test_negated_findings_are_refused_and_skipped(mini_kb) -> None:
    negated = Finding(id="f2", organ="liver", size_mm=4, negated=True)
    with pytest.raises(AssessmentError, match="negated"):
        assess(negated, kb=mini_kb)
    historical = Finding(id="f3", organ="liver", size_mm=4, historical=True)
    kept = Finding(id="f1", organ="liver", size_mm=4)
    assert [a.finding_id for a in assess_findings([kept, negated, historical], kb=mini_kb)] == ["f1"]


def test_report_agreement_is_computed(mini_kb) -> None:
    recs = [ReportRecommendation(modality="US", interval="P6M")]
    result = assess(Finding(organ="liver", size_mm=4), kb=mini_kb, report_recommendations=recs)
    assert result.report_agreement == ReportAgreement.report_recommends_more


def test_unknown_policy_is_an_error(mini_kb) -> None:
    from calcitrack.kb import KBError

    with pytest.raises(KBError, match="unknown policy 'cautious'"):
        assess(Finding(organ="liver", size_mm=4), kb=mini_kb, policy="cautious")


def test_policy_from_environment(mini_kb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCITRACK_POLICY", "seed")
    get_settings.cache_clear()
    assert assess(Finding(organ="liver", size_mm=4), kb=mini_kb).policy == "seed"
