"""Compare what the report itself recommends with the engine's action (``report_agreement``).

This is what tells a department where its reports and the guidance diverge. A report recommendation is
mapped to the action level it implies:

* an explicit "no follow-up needed" -> ``no_followup``;
* repeat imaging at a stated interval ("follow-up ultrasound in 6 months") -> ``surveillance``;
* anything else it asks for (further imaging without interval, MRI/MRCP, biopsy, specialist) -> ``workup``.

The strongest recommendation in the report is compared with the engine's action.
"""

from __future__ import annotations

from collections.abc import Sequence

from calcitrack.models import ACTION_RANK, Action, ReportAgreement, ReportRecommendation


def implied_action(recommendation: ReportRecommendation) -> Action:
    """The action level a report's own recommendation amounts to."""
    if recommendation.no_followup:
        return Action.no_followup
    if recommendation.interval:
        return Action.surveillance
    return Action.workup


def report_agreement(action: Action, recommendations: Sequence[ReportRecommendation]) -> ReportAgreement:
    """Whether the report asks for less, more, or the same as the engine; silent when it asks nothing."""
    if action == Action.out_of_scope or not recommendations:
        return ReportAgreement.report_silent
    strongest = max((implied_action(r) for r in recommendations), key=ACTION_RANK.__getitem__)
    if ACTION_RANK[strongest] < ACTION_RANK[action]:
        return ReportAgreement.report_recommends_less
    if ACTION_RANK[strongest] > ACTION_RANK[action]:
        return ReportAgreement.report_recommends_more
    return ReportAgreement.agrees
