"""Which follow-ups a lesion of a new report opens, fulfils, supersedes or closes (docs/registry.md).

Why in the application layer: the plan reads the knowledge base (default delays per action, the
escalation safety net, surveillance durations, which exam fulfils which recommendation) and an
assessment's recommendations; the registry only stores the decided follow-ups and closures
(:mod:`calcitrack.registry.store`) and runs the status machine (:mod:`calcitrack.registry.followups`).

Fulfilment matches the intent: a later exam of the same lesion (linking, :mod:`calcitrack.app.linking`)
fulfils an open follow-up only when its modality is one the follow-up accepts (KB constant
``fulfilment``: the modalities its recommendation names, widened by the ladder - CT or MRI fulfil an
ultrasound follow-up; a follow-up naming no modality accepts any exam). Otherwise the follow-up stays
open and the exam is linked to it ("exam received, does not fulfil") for the coordinator to decide; the
new report opens no second, identical follow-up next to it. A higher action still supersedes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from calcitrack.app.linking import Candidate, new_suspicious_features
from calcitrack.assess.durations import duration_days
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import (
    ACTION_RANK,
    Action,
    Assessment,
    IntervalChange,
    Lesion,
    Modality,
    RecommendationKind,
)
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
    accepted_modalities: str | None = None
    """Exam modalities that fulfil it, comma-separated; None: any later exam of the lesion."""


def _accepted(asked: list[Modality], kb: KnowledgeBase) -> str | None:
    accepted = kb.constants.fulfilment.accepted(asked)
    return ",".join(m.value for m in accepted) if accepted else None


def plan_for(assessment: Assessment, kb: KnowledgeBase | None = None, lang: str = "en") -> Plan:
    """The first actionable recommendation names the follow-up; the first interval sets its due date; the
    modalities the recommendations name (KB ``fulfilment``) say which exam fulfils it."""
    kb = kb or get_kb()
    actionable = [r for r in assessment.recommendations if r.kind != RecommendationKind.none]
    what = "; ".join(r.what for r in actionable) or (
        f"{kb.text('action.' + assessment.action.value, lang)} ({kb.text('followup.no_recommendation', lang)})"
    )
    interval = next((r.interval for r in actionable if r.interval), None)
    duration = next((r.duration for r in actionable if r.duration), None)
    table = kb.constants.fulfilment.recommendations
    asked = [m for r in actionable if r.id for m in table.get(r.id, [])]
    return Plan(what=what, interval=interval, duration=duration, accepted_modalities=_accepted(asked, kb))


def escalation_plan(reasons: list[str], kb: KnowledgeBase, lang: str) -> Plan:
    """The safety net's work-up, in the report's language from the KB's text tables (never a raw code)."""
    words = [kb.text(f"followup.reason.{reason}", lang) for reason in reasons]
    what = kb.text("followup.escalation", lang).replace("{{ reasons }}", ", ".join(words))
    table = kb.constants.fulfilment.features
    asked = [m for reason in reasons for m in table.get(reason, [])]
    return Plan(what=what, interval=None, duration=None, accepted_modalities=_accepted(asked, kb))


def fulfils(row: t.FollowUp, modality: str | None) -> bool:
    """Whether an exam of ``modality`` fulfils the open follow-up ``row`` (of the same lesion)."""
    if row.accepted_modalities is None:
        return True
    return modality is not None and modality in row.accepted_modalities.split(",")


def due_date(start: dt.date, action: str, interval: str | None, kb: KnowledgeBase | None = None) -> dt.date:
    """Start date plus the interval (lower bound of a range), or the action's default delay (KB constant
    ``due_days``, sourced in ``kb/data/constants.yaml``)."""
    days = duration_days(interval) if interval else 0
    if days <= 0:
        days = (kb or get_kb()).constants.due_days.for_action(action) or 30
    return start + dt.timedelta(days=days)


@dataclass
class FollowUpDecision:
    """The follow-up to open (if any), the open follow-ups to close, and those the exam did not fulfil."""

    new: NewFollowUp | None
    closures: list[Closure]
    received: list[t.FollowUp] = field(default_factory=list)


def _close_all(rows: Sequence[t.FollowUp], status: str, reason: str, modality: str | None = None,
               *, any_exam: bool = False) -> FollowUpDecision:
    """Close the rows the exam fulfils (all of them when ``any_exam``); the others only receive it."""
    closed = [row for row in rows if any_exam or fulfils(row, modality)]
    return FollowUpDecision(None, [Closure(row, status, reason) for row in closed],
                            [row for row in rows if row not in closed])


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
    modality: str | None = None,
    lang: str = "en",
) -> FollowUpDecision:
    """Decide for one lesion: ``change`` is its computed change, else the reported one; ``open_rows`` the
    open follow-ups of its chain, oldest first; ``modality`` the new exam's (what it can fulfil)."""
    kb = kb or get_kb()
    report_label = f"report {report_id}"
    if lesion.negated or change == IntervalChange.resolved.value:
        # Gone is gone, whichever exam shows it: nothing is left to follow.
        return _close_all(open_rows, "done", f"finding resolved on {report_label}", any_exam=True)
    if assessment is None:  # no assessment (the analysis gave none): nothing to decide
        return FollowUpDecision(None, [])
    action = assessment.action
    rule = kb.constants.escalation
    features = new_suspicious_features(lesion, prior, kb)
    grown = rule.on_growth and change == IntervalChange.increased.value
    origin = "assessment"
    plan = plan_for(assessment, kb, lang)
    if (grown or features) and ACTION_RANK[action] < ACTION_RANK[rule.minimum_action]:
        # Safety net (KB constant `escalation`): growth or a new suspicious feature raises the follow-up to
        # at least the KB's minimum action, whatever the assessment says.
        action, origin = rule.minimum_action, "registry_escalation"
        plan = escalation_plan((["interval_growth"] if grown else []) + features, kb, lang)
    base = report_date or dt.date.today()
    if action not in FOLLOW_UP_ACTIONS:
        return _close_all(open_rows, "done", f"no further follow-up recommended on {report_label}", modality)
    surveillance_open = [r for r in open_rows if r.action == Action.surveillance.value]
    start = base
    if action == Action.surveillance and surveillance_open:
        start = surveillance_open[0].surveillance_start or base
        duration = surveillance_open[0].duration or plan.duration
        stable = change in (IntervalChange.stable.value, IntervalChange.decreased.value)
        if stable and duration and (base - start).days >= duration_days(duration):
            return _close_all(open_rows, "done", f"stable for {duration} on {report_label}", modality)
    new: NewFollowUp | None = NewFollowUp(
        action=action.value, what=plan.what, interval=plan.interval, duration=plan.duration,
        surveillance_start=start if action == Action.surveillance else None, opened_on=base,
        due_date=due_date(base, action.value, plan.interval, kb), origin=origin,
        responsible=responsible or (open_rows[-1].responsible if open_rows else None),
        escalation_role=escalation_role, accepted_modalities=plan.accepted_modalities,
    )
    closures = []
    received = []
    for old in open_rows:
        if ACTION_RANK[action] > ACTION_RANK[Action(old.action)]:
            reason = f"superseded: escalated to {action.value} on {report_label}"
            closures.append(Closure(old, "cancelled", reason, superseded=True))
        elif fulfils(old, modality):
            closures.append(Closure(old, "done", f"fulfilled by {report_label}"))
        else:
            received.append(old)
    if new is not None and any(old.action == new.action and old.what == new.what for old in received):
        new = None  # the same request is still open and owed: no second, identical follow-up
    return FollowUpDecision(new, closures, received)
