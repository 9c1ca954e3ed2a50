"""The analyze use case, with the real KB and the real NLP: the normal path is the service's; when the KB
cannot load, the report is still read and grouped into lesions, with no assessment and a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcitrack import service
from calcitrack.app.analyze import KB_UNAVAILABLE, analyze, degraded_warning
from calcitrack.kb import KBError
from calcitrack.models import Action, PatientContext, Report
from calcitrack.settings import get_settings

TEXT = (
    "LIVER: A 4 mm punctate calcification in segment VII, with acoustic shadowing. No splenic calcification.\n"
    "IMPRESSION: tiny hepatic calcification in segment VII."
)


def test_analyze_with_the_kb_is_the_service() -> None:
    report = Report(id="r1", text=TEXT, lang="en")
    ours = analyze(report, policy="seed")
    theirs = service.analyze(report, policy="seed")
    assert ours.model_dump(exclude={"timings"}) == theirs.model_dump(exclude={"timings"})
    assert ours.assessments and ours.summary.action is not None
    assert degraded_warning(ours) is None


def test_analyze_accepts_text_and_language() -> None:
    analysis = analyze(TEXT, lang="en")
    assert analysis.report.lang == "en" and analysis.report.text == TEXT
    assert [lesion.site for lesion in analysis.lesions if lesion.current] == ["segment_VII"]


def test_caller_context_wins_over_the_report() -> None:
    analysis = analyze(Report(text="Known colon cancer. " + TEXT, lang="en"), context=PatientContext(age=40))
    assert analysis.context.age == 40
    assert analysis.context.known_primary_cancer is not None  # read from the report, kept under the caller's


def test_unknown_policy_is_an_error_not_a_degraded_analysis() -> None:
    with pytest.raises(KBError, match="unknown policy"):
        analyze(Report(text=TEXT, lang="en"), policy="cautious")


def test_degraded_mode_reads_and_groups_but_does_not_assess(broken_kb: Path) -> None:
    with pytest.raises(KBError):
        service.analyze(Report(text=TEXT, lang="en"))
    analysis = analyze(Report(id="r1", text=TEXT, lang="en"), context=PatientContext(age=61))
    assert analysis.assessments == [] and analysis.summary.action is None
    assert analysis.findings, "the report is still read"
    current = [lesion for lesion in analysis.lesions if lesion.current]
    assert [(lesion.organ.value, lesion.site, lesion.size_mm) for lesion in current] == [("liver", "segment_VII", 4.0)]
    assert len(current[0].finding_ids) == 2  # the impression restates the same lesion
    assert any(lesion.negated for lesion in analysis.lesions)  # "No splenic calcification." is kept
    assert analysis.context.age == 61 and analysis.report.id == "r1"
    warning = degraded_warning(analysis)
    assert warning is not None and warning.startswith(KB_UNAVAILABLE)
    assert "rules.yaml" in warning and "findings without assessments" in warning


def test_degraded_mode_ends_when_the_kb_loads_again(broken_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert analyze(Report(text=TEXT, lang="en")).assessments == []
    monkeypatch.delenv("CALCITRACK_KB_DIR")
    get_settings.cache_clear()
    analysis = analyze(Report(text=TEXT, lang="en"))
    assert analysis.assessments and degraded_warning(analysis) is None
    assert {a.action for a in analysis.assessments} <= set(Action)
