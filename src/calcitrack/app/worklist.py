"""The worklist use case: follow-ups to act on, as a typed read model, with the read audited.

Why one read model: the API (``GET /api/v1/worklist``), the web worklist, CDS Hooks cards and the CLI
show the same rows; "overdue" is decided here, once (:func:`is_overdue`), and every face renders the
same :class:`Worklist`. :mod:`calcitrack.registry.queries` stays the SQL layer (plain rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from calcitrack.app.access import Reader, audit_reads
from calcitrack.models import SCHEMA_VERSION
from calcitrack.registry import queries
from calcitrack.registry.tables import OPEN_STATUSES


def is_overdue(status: str, due_date: dt.date, as_of: dt.date) -> bool:
    """Overdue: marked so by the ladder, or open and due before ``as_of`` (the one definition)."""
    return status == "overdue" or (status in OPEN_STATUSES and due_date < as_of)


class WorklistItem(BaseModel):
    """One follow-up; organ, site and size are its lesion's merged values (report text never appears)."""

    follow_up_id: int
    patient_id: str
    report_id: str
    finding_id: int
    finding_key: str
    organ: str | None
    site: str | None
    size_mm: float | None
    action: str
    status: str
    due_date: dt.date
    what: str
    responsible: str | None
    escalation_role: str | None
    escalated: bool
    lesion_id: int | None
    overdue: bool = Field(description="open and due before `as_of`, or marked overdue")


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
    rows = queries.worklist(session, statuses=statuses, due_before=due_before, patient=patient, limit=limit)
    items = [
        WorklistItem(**row, overdue=is_overdue(row["status"], dt.date.fromisoformat(row["due_date"]), as_of))
        for row in rows
    ]
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
