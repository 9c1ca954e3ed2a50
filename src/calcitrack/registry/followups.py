"""Follow-up life cycle in storage: status changes, transfer, the reminder ladder.

Which follow-up an assessment opens is decided by the ingest use case
(:mod:`calcitrack.app.follow_up_plan`); this module keeps every stored follow-up honest.

Why a small state machine: a follow-up is only useful if nobody can silently drop it. Every change
goes through :func:`change_status` (which checks the transition and writes the audit event), closed
follow-ups (``done``, ``cancelled``) never reopen, and ``cancelled`` requires a reason.

Overdue is not a stored fact: every read judges it from the due date and the status
(:func:`calcitrack.registry.queries.overdue`), so the worklist, metrics, the web UI and CDS Hooks agree
without a sweep. The reminder ladder (:func:`sweep`) records the moments on the trail: an open
follow-up past its due date is marked ``overdue`` (audit event); once it has been overdue for the grace
period of its action level (``grace_days``: the KB constant ``reminder_grace_days``, which the caller
reads - :func:`calcitrack.app.follow_ups.run_sweep`) it is escalated to its escalation role
(``escalated_at`` set, audit event ``escalated``). ``calcitrack serve`` runs it on a schedule and
``calcitrack follow-up sweep`` from cron; two runs at once (``serve --workers N``, or a cron job next
to the server) never mark or escalate a follow-up twice: each change is a compare-and-set on the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from calcitrack.errors import Conflict, InvalidInput, NotFound
from calcitrack.registry import audit
from calcitrack.registry.tables import CLOSED_STATUSES, OPEN_STATUSES, STATUSES, FollowUp, utcnow

DEFAULT_GRACE_DAYS = 14
"""Grace days of an action level ``grace_days`` does not list (none today: every follow-up action is)."""

DEFAULT_ESCALATION_ROLE = "results-management coordinator"

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("notified", "scheduled", "done", "overdue", "cancelled"),
    "notified": ("scheduled", "done", "overdue", "cancelled"),
    "scheduled": ("notified", "done", "overdue", "cancelled"),
    "overdue": ("notified", "scheduled", "done", "cancelled"),
    "done": (),
    "cancelled": (),
}


def get(session: Session, follow_up_id: int) -> FollowUp:
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"no follow-up with id {follow_up_id}")
    return follow_up


def change_status(
    session: Session,
    follow_up: FollowUp,
    status: str,
    *,
    actor: str,
    source: str,
    reason: str | None = None,
    superseded_by: FollowUp | None = None,
    on: dt.date | None = None,
) -> None:
    """Move a follow-up to ``status``, checking the transition; one audit event per change.

    ``on`` is the clinical date of completion (the date of the report that fulfilled it); today if unset.
    """
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}",
                           public=f"status: unknown status; expected one of {', '.join(STATUSES)}")
    old = follow_up.status
    if status == old:
        return
    if status not in TRANSITIONS[old]:
        raise Conflict(f"follow-up {follow_up.id} is {old}; it cannot become {status}")
    if status == "cancelled" and not (reason and reason.strip()):
        raise InvalidInput(f"cancelling follow-up {follow_up.id} requires a reason (--reason)")
    now = utcnow()
    _claim(session, follow_up, old, status, now)
    follow_up.status = status
    follow_up.updated_at = now
    if status in CLOSED_STATUSES:
        follow_up.closed_at = now
        follow_up.closed_reason = reason
        if status == "done":
            follow_up.completed_on = on or dt.date.today()
    if superseded_by is not None:
        follow_up.superseded_by_pk = superseded_by.id
    audit.log(
        session,
        actor=actor,
        source=source,
        entity="follow_up",
        entity_pk=follow_up.id,
        event_name="superseded" if superseded_by is not None else "status",
        old=old,
        new=status,
        detail=reason,
    )


class ConcurrentChangeError(Conflict):
    """Another transaction changed the follow-up's status between our read and our write."""


def _claim(session: Session, follow_up: FollowUp, old: str, status: str, now: dt.datetime) -> None:
    """Write the new status only if the row still has the status we read (compare-and-set).

    Why: two coordinators (or a coordinator and an ingest closing the follow-up) may read ``pending`` at
    the same moment; without the guard both writes succeed and a follow-up acknowledged as ``done`` can be
    silently reopened by the second one. The guarded UPDATE waits for the other writer (SQLite's write
    lock, PostgreSQL's row lock) and then matches no row: that change is refused instead of lost.
    """
    if follow_up.id is None:  # created in this transaction: nobody else can see it yet
        return
    claimed = session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.status == old)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 1) != 1:
        raise ConcurrentChangeError(
            f"follow-up {follow_up.id} was changed by someone else at the same time; nothing was changed,"
            " reload it and try again"
        )


def transfer(session: Session, follow_up: FollowUp, responsible: str, *, actor: str, source: str) -> None:
    """Hand a follow-up to another responsible clinician (recorded like a status change)."""
    if follow_up.status in CLOSED_STATUSES:
        raise Conflict(f"follow-up {follow_up.id} is {follow_up.status}; it cannot be transferred")
    old = follow_up.responsible
    if old == responsible:
        return
    follow_up.responsible = responsible
    follow_up.updated_at = utcnow()
    audit.log(
        session, actor=actor, source=source, entity="follow_up", entity_pk=follow_up.id,
        event_name="transfer", old=old, new=responsible,
    )


@dataclass(frozen=True)
class SweepResult:
    overdue: list[int]
    escalated: list[int]


def _escalate(session: Session, follow_up: FollowUp, now: dt.datetime) -> bool:
    """Set ``escalated_at`` only if nobody did (compare-and-set): True when this call escalated it."""
    claimed = session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.escalated_at.is_(None))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 1) != 1:
        return False
    follow_up.escalated_at = now
    return True


def sweep(
    session: Session, as_of: dt.date, *, actor: str, source: str, grace_days: Mapping[str, int]
) -> SweepResult:
    """Reminder ladder as of a date: due -> overdue -> escalated to the follow-up's escalation role once
    overdue for ``grace_days[action]`` days.

    Safe to run concurrently: a follow-up another run marked or escalated first is skipped, not done twice.
    """
    overdue: list[int] = []
    escalated: list[int] = []
    rows = session.scalars(
        select(FollowUp).where(FollowUp.status.in_(OPEN_STATUSES), FollowUp.due_date < as_of).order_by(FollowUp.id)
    ).all()
    for follow_up in rows:
        if follow_up.status != "overdue":
            try:
                change_status(session, follow_up, "overdue", actor=actor, source=source,
                              reason=f"due {follow_up.due_date}")
            except ConcurrentChangeError:  # another run (or a coordinator) changed it first
                session.refresh(follow_up)
                if follow_up.status not in OPEN_STATUSES:
                    continue
            else:
                overdue.append(follow_up.id)
        if follow_up.escalated_at is None and (as_of - follow_up.due_date).days >= grace_days.get(
            follow_up.action, DEFAULT_GRACE_DAYS
        ):
            if not _escalate(session, follow_up, utcnow()):
                continue
            audit.log(
                session, actor=actor, source=source, entity="follow_up", entity_pk=follow_up.id,
                event_name="escalated", new=follow_up.escalation_role,
                detail=f"overdue since {follow_up.due_date}",
            )
            escalated.append(follow_up.id)
    return SweepResult(overdue=overdue, escalated=escalated)
