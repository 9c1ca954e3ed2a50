"""Which follow-ups a lesion of a new report opens, fulfils, supersedes or closes (docs/registry.md).

Why in the application layer: the plan reads the knowledge base (default delays per action, the
escalation safety net, surveillance durations) and an assessment's recommendations; the registry only
stores the decided follow-ups and closures (:mod:`calcitrack.registry.store`) and runs the status
machine (:mod:`calcitrack.registry.followups`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from calcitrack.app.linking import Candidate, new_suspicious_features
from calcitrack.assess.durations import duration_days
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import ACTION_RANK, Action, Assessment, IntervalChange, Lesion, RecommendationKind
from calcitrack.registry import tables as t
from calcitrack.registry.store import Closure, NewFollowUp

FOLLOW_UP_ACTIONS: tuple[Action, ...] = (Action.surveillance, Action.workup, Action.urgent)
"""Only these assessment actions create a follow-up."""


@dataclass(frozen=True)
class Plan:
    """What a follow-up asks for, derived from an assessment's recommendations."""

    what: str
    interval: str | None
    duration: str | None


def plan_for(assessment: Assessment) -> Plan:
    """The first actionable recommendation names the follow-up; the first interval sets its due date."""
    actionable = [r for r in assessment.recommendations if r.kind != RecommendationKind.none]
    what = "; ".join(r.what for r in actionable) or f"{assessment.action.value} (no recommendation text)"
    interval = next((r.interval for r in actionable if r.interval), None)
    duration = next((r.duration for r in actionable if r.duration), None)
    return Plan(what=what, interval=interval, duration=duration)


def due_date(start: dt.date, action: str, interval: str | None, kb: KnowledgeBase | None = None) -> dt.date:
    """Start date plus the interval (lower bound of a range), or the action's default delay (KB constant
    ``due_days``, sourced in ``kb/data/constants.yaml``)."""
    days = duration_days(interval) if interval else 0
    if days <= 0:
        days = (kb or get_kb()).constants.due_days.for_action(action) or 30
    return start + dt.timedelta(days=days)


@dataclass
class FollowUpDecision:
    """The follow-up to open (if any) and the open follow-ups to close."""

    new: NewFollowUp | None
    closures: list[Closure]


def _close_all(rows: Sequence[t.FollowUp], status: str, reason: str) -> FollowUpDecision:
    return FollowUpDecision(None, [Closure(row, status, reason) for row in rows])


def plan_follow_ups(
    lesion: Lesion,
    change: str | None,
    prior: Candidate | None,
    assessment: Assessment | None,
    open_rows: Sequence[t.FollowUp],
    *,
    report_id: str,
    report_date: dt.date | None,
    responsible: str | None,
    escalation_role: str,
    kb: KnowledgeBase | None = None,
) -> FollowUpDecision:
    """Decide for one lesion: ``change`` is its computed change, else the reported one; ``open_rows`` the
    open follow-ups of its chain, oldest first."""
    report_label = f"report {report_id}"
    if lesion.negated or change == IntervalChange.resolved.value:
        return _close_all(open_rows, "done", f"finding resolved on {report_label}")
    if assessment is None:  # no assessment (the analysis gave none): nothing to decide
        return FollowUpDecision(None, [])
    action = assessment.action
    rule = (kb or get_kb()).constants.escalation
    features = new_suspicious_features(lesion, prior, kb)
    grown = rule.on_growth and change == IntervalChange.increased.value
    origin = "assessment"
    plan = plan_for(assessment)
    if (grown or features) and ACTION_RANK[action] < ACTION_RANK[rule.minimum_action]:
        # Safety net (KB constant `escalation`): growth or a new suspicious feature raises the follow-up to
        # at least the KB's minimum action, whatever the assessment says.
        action, origin = rule.minimum_action, "registry_escalation"
        reasons = (["interval growth"] if grown else []) + features
        plan = Plan(what=f"Work-up: {', '.join(reasons)}", interval=None, duration=None)
    base = report_date or dt.date.today()
    if action not in FOLLOW_UP_ACTIONS:
        return _close_all(open_rows, "done", f"no further follow-up recommended on {report_label}")
    surveillance_open = [r for r in open_rows if r.action == Action.surveillance.value]
    start = base
    if action == Action.surveillance and surveillance_open:
        start = surveillance_open[0].surveillance_start or base
        duration = surveillance_open[0].duration or plan.duration
        stable = change in (IntervalChange.stable.value, IntervalChange.decreased.value)
        if stable and duration and (base - start).days >= duration_days(duration):
            return _close_all(open_rows, "done", f"stable for {duration} on {report_label}")
    new = NewFollowUp(
        action=action.value, what=plan.what, interval=plan.interval, duration=plan.duration,
        surveillance_start=start if action == Action.surveillance else None, opened_on=base,
        due_date=due_date(base, action.value, plan.interval, kb), origin=origin,
        responsible=responsible or (open_rows[-1].responsible if open_rows else None),
        escalation_role=escalation_role,
    )
    closures = []
    for old in open_rows:
        if ACTION_RANK[action] > ACTION_RANK[Action(old.action)]:
            reason = f"superseded: escalated to {action.value} on {report_label}"
            closures.append(Closure(old, "cancelled", reason, superseded=True))
        else:
            closures.append(Closure(old, "done", f"fulfilled by {report_label}"))
    return FollowUpDecision(new, closures)
