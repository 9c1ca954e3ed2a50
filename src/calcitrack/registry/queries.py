"""Read side of the registry: the worklist, a patient's timeline, programme metrics.

Why plain dicts: these feed the CLI's JSON output directly (a stable, documented shape) and the text
tables; report text is never part of them (it is patient data and the worklist does not need it).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from calcitrack.errors import InvalidInput, NotFound
from calcitrack.registry import tables as t

WORKLIST_FIELDS: tuple[str, ...] = (
    "follow_up_id", "patient_id", "report_id", "finding_id", "finding_key", "organ", "site", "size_mm",
    "action", "status", "due_date", "what", "responsible", "escalation_role", "escalated", "lesion_id",
    "overdue", "stored_status", "exam_received_report_id", "exam_received_on", "exam_received_modality",
    "exam_date",
)
"""One row per follow-up; organ, site and size are the lesion's merged values (its main mention's for
follow-ups stored before lesions existed). ``status`` is the status as of the read (``overdue`` for an
open follow-up past its due date, :func:`status_as_of`), ``stored_status`` the one the life cycle
recorded; ``exam_received_*`` name a later exam of the lesion that did not fulfil the follow-up;
``exam_date`` is the date of the exam (report) that made the recommendation."""


def overdue(as_of: dt.date) -> ColumnElement[bool]:
    """THE definition of overdue, as SQL: open, and marked overdue by the ladder or due before ``as_of``.

    Every read (worklist and its filter, timeline, metrics, hence the API, the web UI and CDS Hooks)
    selects this expression, so overdue never waits for a sweep and no face decides it on its own.
    """
    return and_(
        t.FollowUp.status.in_(t.OPEN_STATUSES),
        or_(t.FollowUp.status == "overdue", t.FollowUp.due_date < as_of),
    )


def status_as_of(as_of: dt.date) -> ColumnElement[str]:
    """The status a reader sees: ``overdue`` when :func:`overdue` holds, else the stored status."""
    return case((overdue(as_of), "overdue"), else_=t.FollowUp.status)


def _status_filter(statuses: Sequence[str], as_of: dt.date) -> ColumnElement[bool]:
    """``status_as_of(as_of) IN statuses``, written so that the status/due-date index can serve it."""
    wanted = set(statuses)
    parts: list[ColumnElement[bool]] = []
    if "overdue" in wanted:
        parts.append(overdue(as_of))
    still_open = [s for s in t.OPEN_STATUSES if s in wanted and s != "overdue"]
    if still_open:  # open, not overdue: not yet due
        parts.append(and_(t.FollowUp.status.in_(still_open), t.FollowUp.due_date >= as_of))
    closed = [s for s in t.CLOSED_STATUSES if s in wanted]
    if closed:
        parts.append(t.FollowUp.status.in_(closed))
    return or_(*parts)


def _worklist_query(
    statuses: Sequence[str] | None, due_before: dt.date | None, patient: str | None, limit: int | None,
    as_of: dt.date,
) -> Select[*tuple[Any, ...]]:
    received = aliased(t.Report)
    query: Select[*tuple[Any, ...]] = (
        select(
            t.FollowUp.id, t.Patient.key, t.Report.report_id, t.Finding.id, t.Finding.key,
            func.coalesce(t.Lesion.organ, t.Finding.organ), func.coalesce(t.Lesion.site, t.Finding.site),
            func.coalesce(t.Lesion.size_mm, t.Finding.size_mm), t.FollowUp.action, status_as_of(as_of),
            t.FollowUp.due_date, t.FollowUp.what, t.FollowUp.responsible, t.FollowUp.escalation_role,
            t.FollowUp.escalated_at, t.FollowUp.lesion_pk, overdue(as_of), t.FollowUp.status,
            received.report_id, t.FollowUp.exam_received_on, received.modality, t.Report.date,
        )
        .join(t.Patient, t.FollowUp.patient_pk == t.Patient.id)
        .join(t.Finding, t.FollowUp.finding_pk == t.Finding.id)
        .outerjoin(t.Lesion, t.FollowUp.lesion_pk == t.Lesion.id)
        .join(t.Report, t.Finding.report_pk == t.Report.id)
        .outerjoin(received, t.FollowUp.exam_received_pk == received.id)
        # Without a status filter: the open predicate verbatim (SQLite then walks the partial index).
        .where(_status_filter(statuses, as_of) if statuses else text(t.OPEN_PREDICATE))
        .order_by(t.FollowUp.due_date, t.FollowUp.id)
    )
    if due_before is not None:
        query = query.where(t.FollowUp.due_date < due_before)
    if patient is not None:
        query = query.where(t.Patient.key == patient)
    if limit is not None:
        query = query.limit(limit)
    return query


def worklist(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    due_before: dt.date | None = None,
    patient: str | None = None,
    limit: int | None = 500,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Follow-ups to act on, earliest due first (open statuses unless ``statuses`` says otherwise).

    ``statuses`` filters on the status as of ``as_of`` (default today): ``overdue`` finds every open
    follow-up past its due date, swept or not, and ``pending`` no longer lists those."""
    as_of = as_of or dt.date.today()
    for status in statuses or ():
        if status not in t.STATUSES:
            # The public detail does not quote the rejected value: errors never echo the input over HTTP.
            raise InvalidInput(f"unknown status {status!r}; expected one of {', '.join(t.STATUSES)}",
                               public=f"status: unknown status; expected one of {', '.join(t.STATUSES)}")
    rows = session.execute(_worklist_query(statuses, due_before, patient, limit, as_of)).all()
    return [
        dict(
            zip(
                WORKLIST_FIELDS,
                (*row[:10], row[10].isoformat(), row[11], row[12], row[13], row[14] is not None, row[15],
                 bool(row[16]), row[17], row[18], row[19].isoformat() if row[19] else None, row[20],
                 row[21].isoformat() if row[21] else None),
                strict=True,
            )
        )
        for row in rows
    ]


def _events(session: Session, entity: str, pks: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {pk: [] for pk in pks}
    if not pks:
        return result
    for event in session.scalars(
        select(t.AuditEvent)
        .where(t.AuditEvent.entity == entity, t.AuditEvent.entity_pk.in_(pks))
        .order_by(t.AuditEvent.id)
    ):
        result[event.entity_pk].append(
            {"at": event.at.isoformat(timespec="seconds"), "actor": event.actor, "source": event.source,
             "event": event.event, "old": event.old_value, "new": event.new_value, "detail": event.detail}
        )
    return result


def timeline(session: Session, patient_key: str, as_of: dt.date | None = None) -> dict[str, Any]:
    """Everything the registry knows about one patient, in date order (report text excluded); follow-up
    statuses as of ``as_of`` (default today, :func:`status_as_of`)."""
    as_of = as_of or dt.date.today()
    patient = session.scalars(select(t.Patient).where(t.Patient.key == patient_key)).first()
    if patient is None:
        raise NotFound(f"no patient {patient_key!r} in the registry", public="no patient with this id in the registry")
    reports = session.scalars(
        select(t.Report).where(t.Report.patient_pk == patient.id).order_by(t.Report.date, t.Report.id)
    ).all()
    follow_up_rows = session.execute(
        select(t.FollowUp, overdue(as_of)).where(t.FollowUp.patient_pk == patient.id).order_by(t.FollowUp.id)
    ).all()
    follow_ups = [row[0] for row in follow_up_rows]
    late = {row[0].id: bool(row[1]) for row in follow_up_rows}
    received: dict[int | None, tuple[str | None, str | None]] = {
        pk: (report_id, modality)
        for pk, report_id, modality in session.execute(
            select(t.Report.id, t.Report.report_id, t.Report.modality).where(
                t.Report.id.in_({f.exam_received_pk for f in follow_ups if f.exam_received_pk is not None})
            )
        )
    }
    events = _events(session, "follow_up", [f.id for f in follow_ups])
    lesion_assessments: dict[int, list[t.Assessment]] = {}
    for verdict in session.scalars(
        select(t.Assessment)
        .join(t.Lesion, t.Assessment.lesion_pk == t.Lesion.id)
        .where(t.Lesion.patient_pk == patient.id)
        .order_by(t.Assessment.id)
    ):
        if verdict.lesion_pk is not None:
            lesion_assessments.setdefault(verdict.lesion_pk, []).append(verdict)
    report_items = []
    for report in reports:
        findings = []
        for finding in report.findings:
            effective = finding.assessments[-1] if finding.assessments else None
            findings.append(
                {
                    "finding_id": finding.id, "key": finding.key, "organ": finding.organ, "site": finding.site,
                    "size_mm": finding.size_mm, "pattern": finding.pattern, "negated": finding.negated,
                    "historical": finding.historical, "reported_change": finding.reported_change,
                    "computed_change": finding.computed_change, "prior_finding_id": finding.prior_finding_pk,
                    "action": effective.action if effective else None,
                    "reassessed": bool(effective and effective.recomputed),
                }
            )
        lesions = []
        for lesion in report.lesions:
            verdicts = [a for a in lesion_assessments.get(lesion.id, [])]
            effective = verdicts[-1] if verdicts else None
            lesions.append(
                {
                    "lesion_id": lesion.id, "key": lesion.key, "organ": lesion.organ, "site": lesion.site,
                    "size_mm": lesion.size_mm, "count": lesion.count, "pattern": lesion.pattern,
                    "negated": lesion.negated, "historical": lesion.historical,
                    "reported_change": lesion.reported_change, "computed_change": lesion.computed_change,
                    "prior_lesion_id": lesion.prior_lesion_pk, "main_finding_id": lesion.main_finding_pk,
                    "action": effective.action if effective else None,
                    "reassessed": bool(effective and effective.recomputed),
                    "finding_ids": [mention.id for mention in lesion.mentions],
                }
            )
        report_items.append(
            {
                "report_id": report.report_id, "version": report.version, "current": report.is_current,
                "date": report.date.isoformat() if report.date else None, "modality": report.modality,
                "lang": report.lang, "policy": report.policy, "findings": findings, "lesions": lesions,
            }
        )
    return {
        "patient_id": patient.key,
        "reports": report_items,
        "follow_ups": [
            {
                "follow_up_id": f.id, "finding_id": f.finding_pk, "lesion_id": f.lesion_pk, "action": f.action,
                "status": "overdue" if late[f.id] else f.status, "stored_status": f.status, "overdue": late[f.id],
                "exam_received_report_id": received.get(f.exam_received_pk, (None, None))[0],
                "exam_received_on": f.exam_received_on.isoformat() if f.exam_received_on else None,
                "exam_received_modality": received.get(f.exam_received_pk, (None, None))[1],
                "what": f.what, "opened_on": f.opened_on.isoformat(), "due_date": f.due_date.isoformat(),
                "completed_on": f.completed_on.isoformat() if f.completed_on else None,
                "responsible": f.responsible, "escalation_role": f.escalation_role,
                "escalated": f.escalated_at is not None, "superseded_by": f.superseded_by_pk,
                "closed_reason": f.closed_reason, "origin": f.origin, "events": events[f.id],
            }
            for f in follow_ups
        ],
    }


def _summary(rows: Sequence[Any]) -> dict[str, Any]:
    open_rows = [r for r in rows if r.status in t.OPEN_STATUSES]
    done = [r for r in rows if r.status == "done"]
    superseded = [r for r in rows if r.status == "cancelled" and r.superseded_by_pk is not None]
    cancelled = [r for r in rows if r.status == "cancelled" and r.superseded_by_pk is None]
    # Superseded follow-ups were replaced by an escalated one, not lost: they leave the denominator.
    denominator = len(rows) - len(superseded)
    days = [(r.completed_on - r.opened_on).days for r in done if r.completed_on is not None]
    return {
        "total": len(rows),
        "open": len(open_rows),
        "overdue": sum(1 for r in open_rows if r.overdue),  # the read-time expression, selected below
        "done": len(done),
        "cancelled": len(cancelled),
        "superseded": len(superseded),
        "completion_rate": round(len(done) / denominator, 4) if denominator else None,
        "median_days_to_completion": statistics.median(days) if days else None,
    }


def metrics(session: Session, as_of: dt.date | None = None) -> dict[str, Any]:
    """Open, overdue, completion rate and median days to completion, overall and by action level.

    Completion rate = done / (all follow-ups - superseded ones); days to completion run from the date
    of the report that opened the follow-up to the date it was fulfilled.
    """
    as_of = as_of or dt.date.today()
    columns = (t.FollowUp.action, t.FollowUp.status, t.FollowUp.superseded_by_pk, t.FollowUp.opened_on,
               t.FollowUp.due_date, t.FollowUp.completed_on, overdue(as_of).label("overdue"))
    rows = session.execute(select(*columns)).all()
    by_action = {action: _summary([r for r in rows if r.action == action])
                 for action in ("surveillance", "workup", "urgent")}
    patients = session.scalar(select(func.count()).select_from(t.Patient)) or 0
    reports = session.scalar(select(func.count()).select_from(t.Report).where(t.Report.is_current.is_(True))) or 0
    return {"as_of": as_of.isoformat(), "patients": patients, "reports": reports,
            **_summary(rows), "by_action": by_action}


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table: lets tests and operators check that a rerun changed nothing."""
    result = {}
    for table in (t.Patient, t.Report, t.Finding, t.Assessment, t.FollowUp, t.AuditEvent):
        result[table.__tablename__] = session.scalar(select(func.count()).select_from(table)) or 0
    return result
