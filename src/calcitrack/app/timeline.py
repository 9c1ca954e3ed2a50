"""The timeline use case: everything the registry knows about one patient, as a typed read model, with
the read audited.

Reports in date order, each with its mentions (``findings``) and its lesions (the unit of clinical
meaning, linked across reports by ``prior_lesion_id``), and the patient's follow-ups with their history.
Report text is never part of it. The API, the web timeline, CDS Hooks and the CLI render this model.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy.orm import Session

from calcitrack.app.access import Reader, audit_reads
from calcitrack.models import SCHEMA_VERSION
from calcitrack.registry import queries


class TimelineFinding(BaseModel):
    """One mention of a calcification in a report."""

    finding_id: int
    key: str
    organ: str | None
    site: str | None
    size_mm: float | None
    pattern: str | None
    negated: bool
    historical: bool
    reported_change: str | None
    computed_change: str | None
    prior_finding_id: int | None
    action: str | None
    reassessed: bool


class TimelineLesion(BaseModel):
    """One lesion of a report: its merged attributes, its latest assessment, its mentions."""

    lesion_id: int
    key: str
    organ: str | None
    site: str | None
    size_mm: float | None
    count: str | None
    pattern: str | None
    negated: bool
    historical: bool
    reported_change: str | None
    computed_change: str | None
    prior_lesion_id: int | None
    main_finding_id: int | None = None
    action: str | None
    reassessed: bool
    finding_ids: list[int]


class TimelineReport(BaseModel):
    report_id: str
    version: int
    current: bool
    date: dt.date | None
    modality: str | None
    lang: str | None
    policy: str | None
    findings: list[TimelineFinding]
    lesions: list[TimelineLesion]


class FollowUpEvent(BaseModel):
    """One audit event of a follow-up (status change, escalation, ...)."""

    at: str
    actor: str
    source: str
    event: str
    old: str | None
    new: str | None
    detail: str | None


class TimelineFollowUp(BaseModel):
    follow_up_id: int
    finding_id: int
    lesion_id: int | None
    action: str
    status: str
    what: str
    opened_on: dt.date
    due_date: dt.date
    completed_on: dt.date | None
    responsible: str | None
    escalation_role: str | None
    escalated: bool
    superseded_by: int | None
    closed_reason: str | None
    origin: str
    overdue: bool
    stored_status: str
    exam_received_report_id: str | None = None
    exam_received_on: dt.date | None = None
    exam_received_modality: str | None = None
    events: list[FollowUpEvent]


class Timeline(BaseModel):
    schema_version: str = SCHEMA_VERSION
    patient_id: str
    as_of: dt.date
    reports: list[TimelineReport]
    follow_ups: list[TimelineFollowUp]


def build_timeline(session: Session, patient_id: str, *, as_of: dt.date | None = None) -> Timeline:
    """The read model without audit; InputError when the registry does not know the patient."""
    as_of = as_of or dt.date.today()
    data = queries.timeline(session, patient_id, as_of)
    follow_ups = [TimelineFollowUp(**fu) for fu in data["follow_ups"]]
    return Timeline(patient_id=data["patient_id"], as_of=as_of,
                    reports=[TimelineReport(**r) for r in data["reports"]], follow_ups=follow_ups)


def read_timeline(
    session: Session, reader: Reader, patient_id: str, *, as_of: dt.date | None = None, what: str = "timeline"
) -> Timeline:
    """The patient's timeline with one ``read`` audit event (InputError for an unknown patient)."""
    result = build_timeline(session, patient_id, as_of=as_of)
    audit_reads(session, reader, [patient_id], what=what)
    return result
