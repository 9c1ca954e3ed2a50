"""The policy-comparison use case: for each assessed lesion of a report, what every KB policy decides.

Why a use case: where sources disagree (the seed articles' 3-6-monthly ultrasound for 2-3 years against
the radiology literature's "no follow-up" for a typical calcified granuloma), the KB encodes each position
as a policy and a site chooses one. A radiologist or a site choosing its policy needs the positions side
by side for a real report; the clinician summary shows the same alternatives in words. Both take them
from :func:`calcitrack.assess.policies.other_policies`, so they cannot disagree; faces call
:func:`compare_policies` (API ``POST /api/v1/analyze/policies``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from calcitrack.assess.policies import other_policies
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import SCHEMA_VERSION, Action, Analysis, Assessment, Recommendation


class PolicyDecision(BaseModel):
    """One policy's decision for one lesion."""

    policy: str
    name: str = Field(description="The policy's name in the report's language")
    chosen: bool = Field(description="True for the policy the analysis was made with")
    action: Action
    recommendations: list[Recommendation] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="The policy's sources, then the rules'")


class LesionPolicies(BaseModel):
    """Every policy's decision for one assessed lesion: the chosen policy first, then the KB's order."""

    lesion_id: str
    decisions: list[PolicyDecision]
    agree: bool = Field(description="True when every policy reaches the same action")


class PolicyComparison(BaseModel):
    """The comparison for one report."""

    schema_version: str = SCHEMA_VERSION
    kb_version: str
    report_id: str | None
    policy: str | None = Field(description="The policy the analysis was made with")
    lesions: list[LesionPolicies] = Field(default_factory=list)
    disagree: bool = Field(description="True when the policies disagree for at least one lesion")


def compare_policies(analysis: Analysis, *, kb: KnowledgeBase | None = None) -> PolicyComparison:
    """Every policy's decision for each current, affirmed, assessed lesion of ``analysis``.

    An analysis made without a knowledge base (degraded mode) has no assessment, hence no lesion here.
    """
    kb = kb or get_kb()
    lang = analysis.report.lang or "en"
    by_id = {lesion.id: lesion for lesion in analysis.lesions}
    lesions: list[LesionPolicies] = []
    for assessment in analysis.assessments:
        lesion = by_id.get(assessment.lesion_id or "")
        if lesion is None or not lesion.current:
            continue
        others = other_policies(
            lesion, analysis.context, assessment, kb=kb, lang=lang,
            report_recommendations=analysis.report_recommendations, differing_only=False,
        )
        decisions = [_decision(kb, a, lang, chosen=a is assessment) for a in [assessment, *others]]
        lesions.append(LesionPolicies(
            lesion_id=lesion.id, decisions=decisions, agree=len({d.action for d in decisions}) == 1,
        ))
    return PolicyComparison(
        kb_version=kb.kb_version, report_id=analysis.report.id, policy=analysis.policy, lesions=lesions,
        disagree=any(not lesion.agree for lesion in lesions),
    )


def _decision(kb: KnowledgeBase, assessment: Assessment, lang: str, *, chosen: bool) -> PolicyDecision:
    policy = kb.policies.get(assessment.policy)
    return PolicyDecision(
        policy=assessment.policy,
        name=policy.name.get(lang) if policy is not None else assessment.policy,
        chosen=chosen,
        action=assessment.action,
        recommendations=list(assessment.recommendations),
        sources=list(dict.fromkeys([*(policy.sources if policy is not None else []), *assessment.sources])),
    )
