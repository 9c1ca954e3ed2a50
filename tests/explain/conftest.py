"""Analyses built directly from findings and the packaged KB (the NLP layer is tested elsewhere).

They are schema 2.0 analyses, as ``service.analyze`` makes them: the findings grouped into lesions by
:func:`calcitrack.lesions.group_lesions`, one assessment per lesion, and the report summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from calcitrack.assess import assess_lesions
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import group_lesions
from calcitrack.models import Analysis, Finding, PatientContext, Report
from calcitrack.service import summarise


@dataclass(frozen=True)
class Scenario:
    finding: Finding
    context: PatientContext = field(default_factory=PatientContext)
    policy: str = "standard"


SCENARIOS: dict[str, Scenario] = {
    "granuloma": Scenario(Finding(organ="liver", site="segment_VII", count="single", size_mm=4, pattern="punctate")),
    "granuloma_seed": Scenario(
        Finding(organ="liver", site="segment_VII", count="single", size_mm=4, pattern="punctate"), policy="seed"
    ),
    "large": Scenario(Finding(organ="liver", size_mm=35, count=1)),
    "cancer": Scenario(
        Finding(organ="liver", size_mm=15, count="multiple", interval_change="new"),
        PatientContext(known_primary_cancer="colorectal"),
    ),
    "ducts": Scenario(Finding(organ="biliary", pattern="ductal", duct_dilatation=True)),
    "spleen": Scenario(Finding(organ="spleen", count="multiple", size_mm=4, pattern="punctate")),
    "soft_tissue": Scenario(Finding(organ="soft_tissue", pattern="cloud_like"), PatientContext(ckd_dialysis=True)),
    "hydatid": Scenario(Finding(organ="liver", pattern="rim", size_mm=50), PatientContext(endemic_exposure=True)),
    "other": Scenario(Finding(organ="other")),
}


def analysis_of(
    findings: list[Finding], kb: KnowledgeBase, lang: str = "en", *, context: PatientContext | None = None,
    policy: str = "standard", text: str = "",
) -> Analysis:
    """An analysis of ``findings`` the way the service makes one (grouped, assessed per lesion, summarised)."""
    context = context or PatientContext()
    lesions = group_lesions(findings, text or None)
    assessments = assess_lesions(lesions, context, policy=policy, lang=lang, kb=kb)
    return Analysis(
        report=Report(text=text, lang=lang),
        context=context,
        findings=findings,
        lesions=lesions,
        assessments=assessments,
        summary=summarise(lesions, assessments, kb, lang),
        kb_version=kb.kb_version,
        policy=policy,
    )


def make_analysis(scenario: Scenario, kb: KnowledgeBase, lang: str = "en") -> Analysis:
    return analysis_of([scenario.finding], kb, lang, context=scenario.context, policy=scenario.policy)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return get_kb()


@pytest.fixture(scope="session")
def analyses(kb: KnowledgeBase) -> dict[str, Analysis]:
    return {name: make_analysis(scenario, kb) for name, scenario in SCENARIOS.items()}


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return SCENARIOS


@pytest.fixture(scope="session")
def build(kb: KnowledgeBase) -> Callable[[Scenario, str], Analysis]:
    """``build(scenario, lang)``: an analysis assessed in ``lang``."""

    def _build(scenario: Scenario, lang: str = "en") -> Analysis:
        return make_analysis(scenario, kb, lang)

    return _build
