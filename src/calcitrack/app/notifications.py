"""Notification use cases: which follow-up events raise a notice, the clinicians' contact points, delivery.

Why here: deciding that a follow-up deserves a notice (created, due soon, overdue, escalated) is a rule of
the application; :mod:`calcitrack.notify.outbox` only records and delivers. The entry points:

- :func:`enqueue_created` - ingest calls it in its own transaction for the follow-ups it opened;
- :func:`raise_due` - finds follow-ups due soon, overdue (judged from the due date, whatever the stored
  status says) or escalated that have no notice of that kind yet, and queues one per enabled channel;
- :func:`after_sweep` - ``raise_due`` then one delivery run; the sweep (CLI, cron, ``serve``'s schedule)
  calls it once, after its own transaction;
- :func:`deliver_now` - ``calcitrack notify deliver``;
- :func:`set_clinician` / :func:`list_clinicians` - the e-mail address and FHIR ``Practitioner`` reference
  of the names follow-ups carry in ``responsible``.

A notice is raised once per follow-up, kind and channel (the outbox's unique key): a follow-up that stays
overdue through a hundred sweeps is announced once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine, and_, exists, select
from sqlalchemy.orm import Session

from calcitrack.errors import InvalidInput
from calcitrack.notify import outbox
from calcitrack.notify.outbox import DeliveryReport
from calcitrack.registry import audit, queries
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope
from calcitrack.settings import CalcitrackSettings, get_settings

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_FHIR_REFERENCE = re.compile(r"^Practitioner(Role)?/[A-Za-z0-9\-.]{1,64}$")


def enabled_channels(settings: CalcitrackSettings | None = None) -> list[str]:
    """The channels switched on (``CALCITRACK_NOTIFY_EMAIL``, ``CALCITRACK_NOTIFY_FHIR``)."""
    chosen = settings or get_settings()
    return [name for name, on in (("email", chosen.notify_email), ("fhir", chosen.notify_fhir)) if on]


def enqueue_created(session: Session, follow_up_pks: Iterable[int], settings: CalcitrackSettings | None = None) -> int:
    """Queue a "created" notice for each new follow-up, in the caller's (ingest's) transaction."""
    pks = list(follow_up_pks)
    names = enabled_channels(settings)
    if not pks or not names:
        return 0
    return outbox.enqueue(session, pks, "created", names)


def _without_notice(kind: str, channel: str) -> ColumnElement[bool]:
    return ~exists().where(
        and_(t.Notification.follow_up_pk == t.FollowUp.id, t.Notification.kind == kind,
             t.Notification.channel == channel)
    )


def raise_due(session: Session, as_of: dt.date, settings: CalcitrackSettings | None = None) -> dict[str, int]:
    """Queue the due-soon, overdue and escalated notices not sent yet, as of ``as_of``; counts per kind.

    Due soon: open and due within ``CALCITRACK_NOTIFY_DUE_SOON_DAYS`` (not for a follow-up opened with less
    notice than that: its "created" notice already said when). Overdue: :func:`registry.queries.overdue`.
    Escalated: open and escalated by the ladder.
    """
    chosen = settings or get_settings()
    names = enabled_channels(chosen)
    counts = dict.fromkeys(("due_soon", "overdue", "escalated"), 0)
    if not names:
        return counts
    window = dt.timedelta(days=chosen.notify_due_soon_days)
    is_open = t.FollowUp.status.in_(t.OPEN_STATUSES)
    conditions: dict[str, list[ColumnElement[bool]]] = {
        "overdue": [queries.overdue(as_of)],  # the one definition every read uses
        "due_soon": [t.FollowUp.due_date >= as_of, t.FollowUp.due_date <= as_of + window],
        "escalated": [t.FollowUp.escalated_at.is_not(None)],
    }
    for kind, where in conditions.items():
        for channel in names:
            rows = session.execute(
                select(t.FollowUp.id, t.FollowUp.opened_on, t.FollowUp.due_date)
                .where(is_open, *where, _without_notice(kind, channel))
                .order_by(t.FollowUp.id)
            ).all()
            if kind == "due_soon":
                rows = [r for r in rows if (r.due_date - r.opened_on) > window]
            counts[kind] += outbox.enqueue(session, [r.id for r in rows], kind, [channel])
    return counts


@dataclass
class NotifyRun:
    """What one sweep-time run did: notices queued per kind, and the delivery counts."""

    queued: dict[str, int] = field(default_factory=dict)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def deliver_now(engine: Engine, *, actor: str, source: str, now: dt.datetime | None = None,
                settings: CalcitrackSettings | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the notices that are due (``calcitrack notify deliver``)."""
    return outbox.deliver(engine, settings or get_settings(), actor=actor, source=source, now=now, limit=limit)


def after_sweep(engine: Engine, as_of: dt.date, *, actor: str, source: str, now: dt.datetime | None = None,
                settings: CalcitrackSettings | None = None) -> NotifyRun:
    """Queue what the ladder's state calls for, then deliver once. A channel that is down only leaves its
    notices queued (bounded timeouts; see :mod:`calcitrack.notify.outbox`): the sweep is never blocked."""
    chosen = settings or get_settings()
    if not enabled_channels(chosen):
        return NotifyRun(queued={}, delivery=DeliveryReport())
    with session_scope(engine) as session:
        queued = raise_due(session, as_of, chosen)
    delivery = outbox.deliver(engine, chosen, actor=actor, source=source, now=now)
    return NotifyRun(queued=queued, delivery=delivery)


class ClinicianContact(BaseModel):
    """How notices reach one responsible clinician."""

    id: int
    name: str
    email: str | None
    fhir_reference: str | None


def set_clinician(session: Session, name: str, *, email: str | None, fhir_reference: str | None, actor: str,
                  source: str) -> ClinicianContact:
    """Create or update the contact points of ``name`` (as written in ``FollowUp.responsible``); audited."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("clinician name: must be 1 to 200 characters")
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput(f"--email: {email!r} is not an e-mail address")
    if fhir_reference is not None and not _FHIR_REFERENCE.match(fhir_reference):
        raise InvalidInput(f"--fhir: {fhir_reference!r} is not a reference like Practitioner/123")
    row = session.scalars(select(t.Clinician).where(t.Clinician.name == name)).first()
    event = "updated"
    if row is None:
        row = t.Clinician(name=name)
        session.add(row)
        event = "created"
    if email is not None:
        row.email = email
    if fhir_reference is not None:
        row.fhir_reference = fhir_reference
    row.updated_at = t.utcnow()
    session.flush()
    audit.log(session, actor=actor, source=source, entity="clinician", entity_pk=row.id, event_name=event,
              detail="contact points set: " + ", ".join(
                  k for k, v in (("email", row.email), ("fhir", row.fhir_reference)) if v) or "none")
    return ClinicianContact(id=row.id, name=row.name, email=row.email, fhir_reference=row.fhir_reference)


def list_clinicians(session: Session) -> list[ClinicianContact]:
    return [
        ClinicianContact(id=r.id, name=r.name, email=r.email, fhir_reference=r.fhir_reference)
        for r in session.scalars(select(t.Clinician).order_by(t.Clinician.name))
    ]


def queue_status(session: Session) -> dict[str, int]:
    """Notices per status."""
    return outbox.queue_counts(session)
