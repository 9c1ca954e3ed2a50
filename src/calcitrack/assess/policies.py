"""What the other policies would decide for a lesion: the engine run again under each other policy.

Why in the engine's package: where sources disagree, the KB encodes each position as a policy (see
docs/architecture.md, "Policies are rules restricted to a policy"); showing a clinician what the other
position would advise is a re-run of the same pure decision table, so the clinician explanation and the
policy-comparison use case (:mod:`calcitrack.app.policies`) take it from here and cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from calcitrack.assess.engine import AssessmentError, assess
from calcitrack.kb import KBError, KnowledgeBase
from calcitrack.models import Assessment, Lesion, PatientContext, ReportRecommendation


def other_policies(
    lesion: Lesion,
    context: PatientContext | None,
    assessment: Assessment,
    *,
    kb: KnowledgeBase,
    lang: str = "en",
    report_recommendations: Sequence[ReportRecommendation] = (),
    differing_only: bool = True,
) -> list[Assessment]:
    """The lesion's assessment under each KB policy other than ``assessment.policy``, in KB order; only
    those whose action differs unless ``differing_only`` is False. A policy the engine cannot apply to
    the lesion is left out."""
    others: list[Assessment] = []
    for policy_id in kb.policies:
        if policy_id == assessment.policy:
            continue
        try:
            other = assess(
                lesion, context, policy=policy_id, lang=lang, kb=kb, report_recommendations=report_recommendations,
            )
        except (AssessmentError, KBError):
            continue
        if differing_only and other.action == assessment.action:
            continue
        others.append(other)
    return others
