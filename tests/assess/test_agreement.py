from __future__ import annotations

import pytest

from calcitrack.assess.agreement import implied_action, report_agreement
from calcitrack.models import Action, ReportAgreement, ReportRecommendation


@pytest.mark.parametrize(
    ("recommendation", "expected"),
    [
        (ReportRecommendation(no_followup=True), Action.no_followup),
        (ReportRecommendation(modality="US", interval="P6M"), Action.surveillance),
        (ReportRecommendation(modality="MR"), Action.workup),
    ],
)
def test_implied_action(recommendation: ReportRecommendation, expected: Action) -> None:
    assert implied_action(recommendation) == expected


def test_agreement_levels() -> None:
    surveillance = [ReportRecommendation(modality="US", interval="P6M")]
    assert report_agreement(Action.surveillance, surveillance) == ReportAgreement.agrees
    assert report_agreement(Action.workup, surveillance) == ReportAgreement.report_recommends_less
    assert report_agreement(Action.no_followup, surveillance) == ReportAgreement.report_recommends_more
    assert report_agreement(Action.workup, []) == ReportAgreement.report_silent
    assert report_agreement(Action.out_of_scope, surveillance) == ReportAgreement.report_silent
