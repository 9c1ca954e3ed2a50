"""The outbox: notices are recorded with the follow-up change that causes them, then delivered with retries.

Why an outbox: ingest and the sweep only insert rows here, in their own transaction, so a channel that is
down can neither block them nor lose a notice (the row is committed with the follow-up or not at all).
:func:`deliver` then works in three short steps, none of which holds a database transaction while a
server is being talked to:

1. claim due rows (``queued``, ``next_attempt_at`` passed) by pushing ``next_attempt_at`` a lease ahead with
   a compare-and-set, so two deliverers (``serve``'s schedule and a cron ``notify deliver``) never send the
   same notice at once;
2. send each through its channel (bounded timeouts); after a connection failure the channel is not tried
   again in this run, so a dead server costs one timeout per run, not one per notice;
3. record each attempt in its own transaction: ``attempts`` + 1, ``sent`` or the next attempt after an
   exponential backoff (``failed`` after ``CALCITRACK_NOTIFY_MAX_ATTEMPTS``), and one audit event
   (channel, recipient id, outcome; never the message).

Delivery is at least once: a process killed between sending and recording sends again after the lease;
the FHIR ``Communication`` carries ``urn:calcitrack:notification|<id>`` so the receiver can drop it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from calcitrack.notify import channels
from calcitrack.notify.channels import ChannelError, Recipient
from calcitrack.notify.templates import Facts, render
from calcitrack.registry import audit
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope
from calcitrack.settings import CalcitrackSettings

LEASE = dt.timedelta(minutes=5)
"""How long a claimed notice is left to its deliverer before another one may try it."""
KINDS_MOOT_WHEN_CLOSED: tuple[str, ...] = ("due_soon", "overdue", "escalated")
"""Reminders that make no sense once the follow-up is done or cancelled: skipped, not sent."""


def backoff(attempts: int, base_seconds: int, max_seconds: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: base, 2 x base, 4 x base ... capped at ``max_seconds``."""
    exponent = min(max(attempts - 1, 0), 30)
    return dt.timedelta(seconds=min(max_seconds, base_seconds * 2**exponent))


def enqueue(session: Session, follow_up_pks: Iterable[int], kind: str, channel_names: Sequence[str],
            now: dt.datetime | None = None) -> int:
    """Record one notice of ``kind`` per follow-up and channel, unless there is one already; returns how
    many were new. ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key: a sweep that runs twice, or two
    sweeps at once, never queue the same notice twice."""
    if kind not in t.NOTIFICATION_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    at = now or t.utcnow()
    rows = [
        {"follow_up_pk": pk, "kind": kind, "channel": channel, "status": "queued", "attempts": 0,
         "next_attempt_at": at, "created_at": at, "updated_at": at}
        for pk in dict.fromkeys(follow_up_pks) for channel in channel_names
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(t.Notification).values(rows).on_conflict_do_nothing(
        index_elements=["follow_up_pk", "kind", "channel"]
    ).returning(t.Notification.id)  # only the inserted rows come back (rowcount is not portable here)
    return len(session.execute(statement).all())


@dataclass(frozen=True)
class Claimed:
    """A notice taken for one delivery attempt, with everything the channels need (no ORM object)."""

    id: int
    channel: str
    kind: str
    attempts: int
    facts: Facts
    lang: str | None
    closed: bool
    recipient: Recipient | None
    responsible: str | None


def _timeline_url(base: str | None, patient: str) -> str | None:
    base = (base or "").strip().rstrip("/")
    return f"{base}/ui/patients/{quote(patient, safe='')}" if base else None


def claim(session: Session, now: dt.datetime, *, limit: int, public_url: str | None) -> list[Claimed]:
    """Take up to ``limit`` due notices (oldest due first) for this deliverer; see the module docstring."""
    due = session.scalars(
        select(t.Notification)
        .where(t.Notification.status == "queued", t.Notification.next_attempt_at <= now)
        .order_by(t.Notification.next_attempt_at, t.Notification.id)
        .limit(limit)
    ).all()
    claimed: list[Claimed] = []
    for notice in due:
        taken = session.execute(
            update(t.Notification)
            .where(t.Notification.id == notice.id, t.Notification.status == "queued",
                   t.Notification.next_attempt_at == notice.next_attempt_at)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 1) != 1:
            continue  # another deliverer took it
        follow_up = session.get(t.FollowUp, notice.follow_up_pk)
        if follow_up is None:  # impossible with the foreign key; keep the type checker and a bad copy honest
            continue
        clinician = None
        if follow_up.responsible:
            clinician = session.scalars(select(t.Clinician).where(t.Clinician.name == follow_up.responsible)).first()
        facts = Facts(
            kind=notice.kind, follow_up_id=follow_up.id, patient=follow_up.patient.key, action=follow_up.action,
            due_date=follow_up.due_date, escalation_role=follow_up.escalation_role,
            timeline_url=_timeline_url(public_url, follow_up.patient.key),
        )
        claimed.append(Claimed(
            id=notice.id, channel=notice.channel, kind=notice.kind, attempts=notice.attempts, facts=facts,
            lang=follow_up.finding.report.lang, closed=follow_up.status in t.CLOSED_STATUSES,
            recipient=None if clinician is None else Recipient(
                pk=clinician.id, name=clinician.name, email=clinician.email,
                fhir_reference=clinician.fhir_reference,
            ),
            responsible=follow_up.responsible,
        ))
    return claimed


@dataclass
class Outcome:
    """What happened to one claimed notice."""

    notice: Claimed
    status: str  # sent, retry, failed, skipped, deferred
    error: str | None = None


def _send(settings: CalcitrackSettings, notice: Claimed, now: dt.datetime) -> None:
    if notice.recipient is None:
        who = "no responsible clinician" if notice.responsible is None else "the responsible clinician is unknown"
        raise ChannelError(f"{who} (calcitrack notify clinician NAME --email ... --fhir ...)")
    message = render(notice.facts, notice.lang)
    if notice.channel == "email":
        channels.send_email(settings, notice.recipient, message, notice.id)
    elif notice.channel == "fhir":
        channels.send_fhir(settings, notice.facts, message, notice.recipient, notice.id, now)
    else:
        raise ChannelError(f"unknown channel {notice.channel!r}")


def attempt(settings: CalcitrackSettings, notices: Sequence[Claimed], now: dt.datetime) -> list[Outcome]:
    """Send the claimed notices; a channel whose server is unreachable is not tried again in this run."""
    down: set[str] = set()
    outcomes: list[Outcome] = []
    for notice in notices:
        if notice.closed and notice.kind in KINDS_MOOT_WHEN_CLOSED:
            outcomes.append(Outcome(notice, "skipped", "follow-up closed before delivery"))
            continue
        if notice.channel in down:
            outcomes.append(Outcome(notice, "deferred"))
            continue
        try:
            _send(settings, notice, now)
        except Exception as exc:  # a channel error, or a notice that cannot be built: recorded, never fatal
            if isinstance(exc, ChannelError) and exc.connection:
                down.add(notice.channel)
            reason = str(exc) if isinstance(exc, ChannelError) else f"cannot build the notice: {type(exc).__name__}"
            gave_up = notice.attempts + 1 >= settings.notify_max_attempts
            outcomes.append(Outcome(notice, "failed" if gave_up else "retry", reason))
        else:
            outcomes.append(Outcome(notice, "sent"))
    return outcomes


def record(session: Session, outcome: Outcome, settings: CalcitrackSettings, now: dt.datetime, *,
           actor: str, source: str, retry_at: dt.datetime | None = None) -> None:
    """Write one outcome on its notice and, for a real attempt, one audit event (never the message)."""
    notice = outcome.notice
    row = session.get(t.Notification, notice.id)
    if row is None:
        return
    row.updated_at = now
    if outcome.status == "deferred":  # not attempted: back in the queue when its channel is retried
        row.next_attempt_at = retry_at or now
        return
    recipient_pk = notice.recipient.pk if notice.recipient else None
    row.recipient = notice.recipient.name if notice.recipient else notice.responsible
    row.recipient_pk = recipient_pk
    row.last_error = outcome.error
    if outcome.status == "skipped":
        row.status = "skipped"
        event = "notice_skipped"
    else:
        row.attempts = notice.attempts + 1
        if outcome.status == "sent":
            row.status, row.sent_at, row.last_error = "sent", now, None
            event = "notice_sent"
        else:
            row.status = "failed" if outcome.status == "failed" else "queued"
            row.next_attempt_at = now + backoff(row.attempts, settings.notify_backoff_seconds,
                                                settings.notify_backoff_max_seconds)
            event = "notice_failed"
    audit.log(
        session, actor=actor, source=source, entity="notification", entity_pk=row.id, event_name=event,
        old=None if outcome.status == "skipped" else f"attempt {row.attempts}", new=row.status,
        detail=(f"{row.kind} of follow-up {row.follow_up_pk} by {row.channel} to clinician"
                f" {recipient_pk if recipient_pk is not None else '(unknown)'}"
                + (f": {outcome.error}" if outcome.error else "")),
    )


@dataclass
class DeliveryReport:
    """Counts of one delivery run (``calcitrack notify deliver``, the sweep)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "skipped": self.skipped,
                "deferred": self.deferred, "errors": self.errors}


def deliver(engine: Engine, settings: CalcitrackSettings, *, actor: str, source: str,
            now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the due notices once (claim, send, record); see the module docstring."""
    start = now or t.utcnow()
    with session_scope(engine) as session:
        notices = claim(session, start, limit=limit, public_url=settings.public_url)
    outcomes = attempt(settings, notices, start)
    report = DeliveryReport()
    retry_at: dict[str, dt.datetime] = {}
    for outcome in outcomes:
        finished = t.utcnow() if now is None else start
        if outcome.status in ("retry", "failed"):
            wait = backoff(outcome.notice.attempts + 1, settings.notify_backoff_seconds,
                           settings.notify_backoff_max_seconds)
            retry_at.setdefault(outcome.notice.channel, finished + wait)
        with session_scope(engine) as session:
            record(session, outcome, settings, finished, actor=actor, source=source,
                   retry_at=retry_at.get(outcome.notice.channel))
        counted = {"sent": "sent", "retry": "retrying", "failed": "failed", "skipped": "skipped",
                   "deferred": "deferred"}[outcome.status]
        setattr(report, counted, getattr(report, counted) + 1)
        if outcome.error and outcome.error not in report.errors and outcome.status != "skipped":
            report.errors.append(outcome.error)
    return report


def notices_for(session: Session, follow_up_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Who was told what and when, per follow-up (the worklist's read side), oldest notice first."""
    result: dict[int, list[dict[str, Any]]] = {}
    if not follow_up_pks:
        return result
    for row in session.scalars(
        select(t.Notification).where(t.Notification.follow_up_pk.in_(list(follow_up_pks))).order_by(t.Notification.id)
    ):
        result.setdefault(row.follow_up_pk, []).append({
            "kind": row.kind, "channel": row.channel, "status": row.status, "recipient": row.recipient,
            "attempts": row.attempts, "sent_at": row.sent_at, "next_attempt_at":
                row.next_attempt_at if row.status == "queued" else None, "last_error": row.last_error,
        })
    return result


def queue_counts(session: Session) -> dict[str, int]:
    """Notices per status (``calcitrack notify status``)."""
    counts = dict.fromkeys(t.NOTIFICATION_STATUSES, 0)
    for status, count in session.execute(
        select(t.Notification.status, func.count()).group_by(t.Notification.status)
    ):
        counts[status] = int(count)
    return counts
