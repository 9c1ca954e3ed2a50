"""The worklist use case: follow-ups to act on, as a typed read model, with the read audited.

Why one read model: the API (``GET /api/v1/worklist``), the web worklist, CDS Hooks cards and the CLI
show the same rows, and every face renders the same :class:`Worklist`. "Overdue" is one SQL expression
(:func:`calcitrack.registry.queries.overdue`) judged at read time from the due date and the status, so
no face (nor the status filter, nor metrics) waits for the reminder ladder to have run.
:mod:`calcitrack.registry.queries` stays the SQL layer (plain rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from calcitrack.app.access import Reader, audit_reads
from calcitrack.models import SCHEMA_VERSION
from calcitrack.notify.outbox import notices_for
from calcitrack.registry import queries


class Notice(BaseModel):
    """One notice about a follow-up (:mod:`calcitrack.notify`): who was told what, how and when."""

    kind: str = Field(description="created, due_soon, overdue or escalated")
    channel: str = Field(description="email or fhir")
    status: str = Field(description="queued, sent, failed (gave up) or skipped (follow-up closed first)")
    recipient: str | None = Field(description="the responsible clinician at the last attempt")
    attempts: int
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None = Field(description="when a queued notice is tried next")
    last_error: str | None


class WorklistItem(BaseModel):
    """One follow-up; organ, site and size are its lesion's merged values (report text never appears)."""

    follow_up_id: int
    patient_id: str
    report_id: str
    exam_date: dt.date | None = Field(default=None, description="date of the exam whose report made the recommendation")
    finding_id: int
    finding_key: str
    organ: str | None
    site: str | None
    size_mm: float | None
    action: str
    status: str = Field(description="status as of `as_of`: `overdue` for an open follow-up past its due date")
    due_date: dt.date
    what: str
    responsible: str | None
    escalation_role: str | None
    escalated: bool
    lesion_id: int | None
    overdue: bool = Field(description="open and due before `as_of`, or marked overdue")
    stored_status: str = Field(description="the status the life cycle recorded (what a change starts from)")
    exam_received_report_id: str | None = Field(
        default=None, description="a later exam of the lesion that does not fulfil this follow-up (coordinator decides)"
    )
    exam_received_on: dt.date | None = None
    exam_received_modality: str | None = None
    notices: list[Notice] = Field(default_factory=list, description="who was told what and when")


class Worklist(BaseModel):
    """Follow-ups, earliest due first."""

    schema_version: str = SCHEMA_VERSION
    as_of: dt.date = Field(description="the date 'overdue' was judged against")
    count: int
    items: list[WorklistItem]


def build_worklist(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    due_before: dt.date | None = None,
    patient: str | None = None,
    limit: int | None = 500,
    as_of: dt.date | None = None,
) -> Worklist:
    """The read model without audit (for callers that audit a larger read themselves, e.g. CDS cards)."""
    as_of = as_of or dt.date.today()
    rows = queries.worklist(session, statuses=statuses, due_before=due_before, patient=patient, limit=limit,
                            as_of=as_of)
    items = [WorklistItem(**row) for row in rows]
    told = notices_for(session, [item.follow_up_id for item in items])
    for item in items:
        item.notices = [Notice(**notice) for notice in told.get(item.follow_up_id, [])]
    return Worklist(as_of=as_of, count=len(items), items=items)


def read_worklist(
    session: Session,
    reader: Reader,
    *,
    statuses: Sequence[str] | None = None,
    due_before: dt.date | None = None,
    patient: str | None = None,
    limit: int | None = 500,
    as_of: dt.date | None = None,
    what: str = "worklist",
) -> Worklist:
    """The worklist, with one ``read`` audit event per patient on it (InputError for an unknown status)."""
    result = build_worklist(session, statuses=statuses, due_before=due_before, patient=patient, limit=limit,
                            as_of=as_of)
    audit_reads(session, reader, [item.patient_id for item in result.items], what=what)
    return result
