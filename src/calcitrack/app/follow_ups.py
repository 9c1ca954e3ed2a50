"""Follow-up changes: status along the life cycle and the responsible clinician, with the audit event.

Why one use case: the API (``POST /api/v1/follow-ups/{id}/status``), the web worklist's buttons and
``calcitrack follow-up`` all change follow-ups; the registry (:mod:`calcitrack.registry.followups`) checks
the transition and writes the audit event, and this module turns its refusals into three kinds a face
maps to its own language: :class:`FollowUpNotFound` (404), :class:`InvalidChange` (422) and
:class:`TransitionRefused` (409, a closed follow-up never reopens, or a concurrent change won).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from calcitrack.errors import Conflict, InputError, InvalidInput, NotFound
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import SCHEMA_VERSION
from calcitrack.registry import followups
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import STATUSES, FollowUp

if TYPE_CHECKING:
    from calcitrack.app.notifications import NotifyRun

TRANSITIONS = followups.TRANSITIONS


class FollowUpNotFound(NotFound):
    """No follow-up has this id."""


class InvalidChange(InvalidInput):
    """The change itself is malformed: unknown status, cancelling without a reason."""


class TransitionRefused(Conflict):
    """The follow-up cannot make this move now (closed, or changed by someone else meanwhile)."""


class FollowUpChange(BaseModel):
    """A follow-up after a change."""

    schema_version: str = SCHEMA_VERSION
    follow_up_id: int
    previous_status: str
    status: str
    responsible: str | None
    due_date: dt.date
    completed_on: dt.date | None
    closed_reason: str | None


def change_follow_up(
    session: Session,
    follow_up_id: int,
    *,
    actor: str,
    source: str,
    status: str | None = None,
    reason: str | None = None,
    responsible: str | None = None,
) -> FollowUpChange:
    """Transfer to ``responsible`` and/or move to ``status`` in the caller's transaction (one audit event
    per change). Raises the three errors above; nothing is written when one is raised and the caller
    rolls back."""
    if status is not None and status not in STATUSES:
        raise InvalidChange(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    if status == "cancelled" and not (reason and reason.strip()):
        raise InvalidChange(f"cancelling follow-up {follow_up_id} requires a reason (--reason)")
    row = session.get(FollowUp, follow_up_id)
    if row is None:
        raise FollowUpNotFound(f"no follow-up with id {follow_up_id}")
    previous = row.status
    try:
        if responsible is not None:
            followups.transfer(session, row, responsible, actor=actor, source=source)
        if status is not None:
            followups.change_status(session, row, status, actor=actor, source=source, reason=reason)
    except InputError as exc:
        raise TransitionRefused(str(exc)) from exc
    return FollowUpChange(
        follow_up_id=row.id, previous_status=previous, status=row.status, responsible=row.responsible,
        due_date=row.due_date, completed_on=row.completed_on, closed_reason=row.closed_reason,
    )


@dataclass(frozen=True)
class SweepRun:
    """What one run of the reminder ladder did, and the notices it raised (None when not asked)."""

    as_of: dt.date
    ladder: followups.SweepResult
    notices: NotifyRun | None = None


def grace_days(kb: KnowledgeBase | None = None) -> dict[str, int]:
    """Days overdue before escalation, per action level (KB constant ``reminder_grace_days``)."""
    table = (kb or get_kb()).constants.reminder_grace_days
    return {action: table.for_action(action) or followups.DEFAULT_GRACE_DAYS
            for action in ("surveillance", "workup", "urgent")}


def run_sweep(
    engine: Engine, as_of: dt.date | None = None, *, actor: str, source: str, notify: bool = True,
    kb: KnowledgeBase | None = None,
) -> SweepRun:
    """The one reminder-ladder run that ``calcitrack follow-up sweep`` (cron) and ``calcitrack serve``'s
    schedule both call: the ladder in its own transaction, then (``notify``) the notices it calls for.

    Safe to run from several processes at once (``serve --workers N``, a cron job next to the server):
    each row is marked and escalated by compare-and-set (:func:`calcitrack.registry.followups.sweep`),
    and the notice outbox is keyed by (follow-up, kind, channel).
    """
    day = as_of or dt.date.today()
    with session_scope(engine) as session:
        ladder = followups.sweep(session, day, actor=actor, source=source, grace_days=grace_days(kb))
    notices = None
    if notify:
        from calcitrack.app.notifications import after_sweep  # the notice channels are imported only here

        notices = after_sweep(engine, day, actor=actor, source=source)
    return SweepRun(as_of=day, ladder=ladder, notices=notices)
