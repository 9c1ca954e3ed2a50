"""The follow-up plan of one lesion, decided without a database (rows are unsaved ORM objects), with the
real KB's constants and real engine assessments."""

from __future__ import annotations

import datetime as dt

import pytest

from calcitrack.app.follow_up_plan import FOLLOW_UP_ACTIONS, due_date, plan_follow_ups, plan_for
from calcitrack.app.linking import Candidate
from calcitrack.assess import assess
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import as_lesion
from calcitrack.models import Action, Assessment, Evidence, Finding, Lesion, PatientContext, Recommendation
from calcitrack.registry import tables as t

DAY = dt.date(2025, 7, 15)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return get_kb()


def _lesion(size: float, **extra: object) -> Lesion:
    finding = Finding.model_validate({
        "id": "f1", "organ": "liver", "site": "segment_VI", "size_mm": size, "pattern": "coarse", "lang": "en",
        "evidence": Evidence(start=0, end=13, text="calcification"), **extra,
    })
    return as_lesion(finding)


def _open(pk: int, action: str, *, start: dt.date | None = None, duration: str | None = None) -> t.FollowUp:
    return t.FollowUp(id=pk, action=action, status="pending", surveillance_start=start, duration=duration,
                      responsible="Dr Martin")


def _candidate(size: float) -> Candidate:
    return Candidate(pk=1, organ="liver", site="segment_VI", size_mm=size, pattern="coarse",
                     associated_mass=None, duct_dilatation=None, order=0)


def _surveillance(kb: KnowledgeBase, lesion: Lesion) -> Assessment:
    assessment = assess(lesion, PatientContext(), policy="seed", kb=kb)
    assert assessment.action == Action.surveillance
    return assessment


def test_plan_for_names_the_follow_up_from_the_first_actionable_recommendation() -> None:
    assessment = Assessment(finding_id="f1", action=Action.surveillance, recommendations=[
        Recommendation(kind="none", what="nothing"),
        Recommendation(kind="imaging", what="Ultrasound", interval="P3M..P6M", duration="P2Y..P3Y"),
    ])
    plan = plan_for(assessment)
    assert (plan.what, plan.interval, plan.duration) == ("Ultrasound", "P3M..P6M", "P2Y..P3Y")
    plain = plan_for(Assessment(finding_id="f1", action=Action.workup))
    assert plain.what == "Further work-up (no recommendation text)"


def test_due_date_from_the_interval_or_the_kb_default(kb: KnowledgeBase) -> None:
    assert due_date(DAY, "surveillance", "P3M..P6M", kb) == DAY + dt.timedelta(days=90)
    assert due_date(DAY, "urgent", None, kb) == DAY + dt.timedelta(days=kb.constants.due_days.for_action("urgent"))
    assert Action.no_followup not in FOLLOW_UP_ACTIONS


def test_a_first_surveillance_opens_one_follow_up(kb: KnowledgeBase) -> None:
    lesion = _lesion(6)
    decision = plan_follow_ups(lesion, None, None, _surveillance(kb, lesion), [], report_id="r1", report_date=DAY,
                               responsible=None, escalation_role="coordinator", kb=kb)
    assert decision.closures == [] and decision.new is not None
    new = decision.new
    assert (new.action, new.surveillance_start, new.origin) == ("surveillance", DAY, "assessment")
    assert decision.new.escalation_role == "coordinator" and decision.new.opened_on == DAY


def test_the_next_report_fulfils_and_keeps_the_start_and_the_responsible(kb: KnowledgeBase) -> None:
    lesion = _lesion(6, interval_change="stable")
    start = DAY - dt.timedelta(days=180)
    old = _open(7, "surveillance", start=start, duration="P2Y..P3Y")
    decision = plan_follow_ups(lesion, "stable", _candidate(6), _surveillance(kb, lesion), [old], report_id="r2",
                               report_date=DAY, responsible=None, escalation_role="coordinator", kb=kb)
    assert decision.new is not None and decision.new.surveillance_start == start
    assert decision.new.responsible == "Dr Martin"
    assert [(c.row.id, c.status, c.reason, c.superseded) for c in decision.closures] == [
        (7, "done", "fulfilled by report r2", False)]


def test_stable_for_the_duration_ends_surveillance(kb: KnowledgeBase) -> None:
    lesion = _lesion(6, interval_change="stable")
    old = _open(7, "surveillance", start=DAY - dt.timedelta(days=3 * 365), duration="P2Y..P3Y")
    decision = plan_follow_ups(lesion, "stable", _candidate(6), _surveillance(kb, lesion), [old], report_id="r9",
                               report_date=DAY, responsible=None, escalation_role="coordinator", kb=kb)
    assert decision.new is None
    assert [(c.status, c.reason) for c in decision.closures] == [("done", "stable for P2Y..P3Y on report r9")]


def test_growth_escalates_through_the_kb_safety_net(kb: KnowledgeBase) -> None:
    lesion = _lesion(11)
    assessment = _surveillance(kb, _lesion(6))  # an assessment that would keep surveillance despite growth
    old = _open(7, "surveillance", start=DAY, duration="P2Y..P3Y")
    decision = plan_follow_ups(lesion, "increased", _candidate(6), assessment, [old], report_id="r3",
                               report_date=DAY, responsible=None, escalation_role="coordinator", kb=kb)
    minimum = kb.constants.escalation.minimum_action
    assert decision.new is not None and decision.new.action == minimum.value
    assert decision.new.origin == "registry_escalation" and "interval growth" in decision.new.what
    assert [(c.status, c.superseded) for c in decision.closures] == [("cancelled", True)]


def test_a_negated_lesion_closes_everything(kb: KnowledgeBase) -> None:
    lesion = _lesion(6, negated=True)
    decision = plan_follow_ups(lesion, "resolved", _candidate(6), None, [_open(7, "surveillance")],
                               report_id="r4", report_date=DAY, responsible=None, escalation_role="c", kb=kb)
    assert decision.new is None
    assert [(c.status, c.reason) for c in decision.closures] == [("done", "finding resolved on report r4")]


def test_no_assessment_decides_nothing(kb: KnowledgeBase) -> None:
    decision = plan_follow_ups(_lesion(6), None, None, None, [_open(7, "surveillance")], report_id="r5",
                               report_date=DAY, responsible=None, escalation_role="c", kb=kb)
    assert decision.new is None and decision.closures == []
