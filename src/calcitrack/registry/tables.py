"""SQLAlchemy models of the registry (the schema itself lives in ``migrations/versions``).

Why these columns: the worklist and the linking rule need organ, site, size and pattern as real
columns (indexed, comparable); everything else of a Finding / Assessment is kept verbatim as JSON so
that the registry never loses what the analysis said, whatever fields the domain model gains.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

OPEN_STATUSES: tuple[str, ...] = ("pending", "notified", "scheduled", "overdue")
CLOSED_STATUSES: tuple[str, ...] = ("done", "cancelled")
STATUSES: tuple[str, ...] = OPEN_STATUSES + CLOSED_STATUSES
OPEN_PREDICATE = "status IN ('pending', 'notified', 'scheduled', 'overdue')"
"""Literal SQL for open follow-ups; queries use it verbatim so that SQLite can match the partial index."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Patient(Base):
    """A patient, known only by the pseudonymous key the sending system gave (never a name)."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Report(Base):
    """One version of one report. Amending a report adds a version; the old one stays, not current."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("report_id", "version", name="uq_reports_report_id_version"),
        Index("ix_reports_patient_date", "patient_pk", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    date: Mapped[dt.date | None] = mapped_column(Date)
    modality: Mapped[str | None] = mapped_column(String(16))
    lang: Mapped[str | None] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    policy: Mapped[str] = mapped_column(String(64))
    kb_version: Mapped[str] = mapped_column(String(64))
    n_findings: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    patient: Mapped[Patient] = relationship()
    findings: Mapped[list[Finding]] = relationship(back_populates="report", order_by="Finding.id")
    lesions: Mapped[list[Lesion]] = relationship(back_populates="report", order_by="Lesion.id")


class Lesion(Base):
    """One lesion of one report version (``calcitrack.lesions``): the mentions that name it share it.

    ``prior_lesion_pk`` links it to the same lesion in an earlier report (longitudinal linking works on
    lesions, never on mentions); ``main_finding_pk`` is its main mention, which carries its assessment
    and follow-ups. The merged attributes are columns (linking and the timeline read them); the whole
    :class:`calcitrack.models.Lesion` is kept in ``data``.
    """

    __tablename__ = "lesions"
    __table_args__ = (Index("ix_lesions_patient_organ", "patient_pk", "organ"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    key: Mapped[str] = mapped_column(String(64))
    organ: Mapped[str] = mapped_column(String(32))
    site: Mapped[str | None] = mapped_column(String(64))
    size_mm: Mapped[float | None] = mapped_column(Float)
    count: Mapped[str | None] = mapped_column(String(16))
    pattern: Mapped[str | None] = mapped_column(String(32))
    associated_mass: Mapped[bool | None] = mapped_column(Boolean)
    duct_dilatation: Mapped[bool | None] = mapped_column(Boolean)
    negated: Mapped[bool] = mapped_column(Boolean, default=False)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_change: Mapped[str | None] = mapped_column(String(16))
    computed_change: Mapped[str | None] = mapped_column(String(16))
    prior_lesion_pk: Mapped[int | None] = mapped_column(ForeignKey("lesions.id"), index=True)
    main_finding_pk: Mapped[int | None] = mapped_column(Integer)  # findings.id (no FK: the tables refer to each other)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    report: Mapped[Report] = relationship(back_populates="lesions")
    patient: Mapped[Patient] = relationship()
    mentions: Mapped[list[Finding]] = relationship(
        back_populates="lesion", foreign_keys="Finding.lesion_pk", order_by="Finding.id"
    )


class Finding(Base):
    """One finding (mention) of one report version.

    ``prior_finding_pk`` links the lesion to its finding in an earlier report; ``mention_of_pk`` points a
    repeated mention (the impression restating the findings section) to the mention that represents the
    lesion in this report, so that one lesion gets one follow-up.
    """

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_patient_organ", "patient_pk", "organ"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    key: Mapped[str] = mapped_column(String(64))
    organ: Mapped[str] = mapped_column(String(32))
    site: Mapped[str | None] = mapped_column(String(64))
    size_mm: Mapped[float | None] = mapped_column(Float)
    pattern: Mapped[str | None] = mapped_column(String(32))
    associated_mass: Mapped[bool | None] = mapped_column(Boolean)
    duct_dilatation: Mapped[bool | None] = mapped_column(Boolean)
    negated: Mapped[bool] = mapped_column(Boolean, default=False)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_change: Mapped[str | None] = mapped_column(String(16))
    computed_change: Mapped[str | None] = mapped_column(String(16))
    prior_finding_pk: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)
    mention_of_pk: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    lesion_pk: Mapped[int | None] = mapped_column(ForeignKey("lesions.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    report: Mapped[Report] = relationship(back_populates="findings")
    lesion: Mapped[Lesion | None] = relationship(back_populates="mentions", foreign_keys=[lesion_pk])
    patient: Mapped[Patient] = relationship()
    mention_of: Mapped[Finding | None] = relationship(remote_side=[id], foreign_keys=[mention_of_pk])
    assessments: Mapped[list[Assessment]] = relationship(back_populates="finding", order_by="Assessment.id")


class Assessment(Base):
    """The engine's verdict on a finding; ``recomputed`` when the registry re-assessed it with the
    interval change it computed from the prior finding (the report said otherwise or nothing)."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_pk: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    lesion_pk: Mapped[int | None] = mapped_column(ForeignKey("lesions.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    policy: Mapped[str] = mapped_column(String(64))
    kb_version: Mapped[str] = mapped_column(String(64))
    recomputed: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    finding: Mapped[Finding] = relationship(back_populates="assessments")
    lesion: Mapped[Lesion | None] = relationship()


class FollowUp(Base):
    """One recommended action to be done by a date, tracked until ``done`` or ``cancelled``."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_status_due", "status", "due_date"),
        Index("ix_follow_ups_due", "due_date"),
        Index("ix_follow_ups_patient_status", "patient_pk", "status"),
        # The default worklist (open follow-ups, earliest due first, limited) walks this partial index in
        # order and stops at the limit instead of sorting every open row.
        Index(
            "ix_follow_ups_open_due", "due_date", "id",
            sqlite_where=text(OPEN_PREDICATE), postgresql_where=text(OPEN_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    finding_pk: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    lesion_pk: Mapped[int | None] = mapped_column(ForeignKey("lesions.id"), index=True)
    assessment_pk: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    action: Mapped[str] = mapped_column(String(32))
    what: Mapped[str] = mapped_column(Text)
    interval: Mapped[str | None] = mapped_column(String(32))
    duration: Mapped[str | None] = mapped_column(String(32))
    surveillance_start: Mapped[dt.date | None] = mapped_column(Date)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    origin: Mapped[str] = mapped_column(String(32), default="assessment")
    responsible: Mapped[str | None] = mapped_column(String(200))
    escalation_role: Mapped[str] = mapped_column(String(200))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    superseded_by_pk: Mapped[int | None] = mapped_column(ForeignKey("follow_ups.id"))
    accepted_modalities: Mapped[str | None] = mapped_column(String(32))
    """Exam modalities that fulfil it, comma-separated (``US,CT,MR``); NULL: any later exam of the lesion."""
    exam_received_pk: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    """The latest later exam of the same lesion that did not fulfil it ("exam received, does not fulfil")."""
    exam_received_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    finding: Mapped[Finding] = relationship(foreign_keys=[finding_pk])
    lesion: Mapped[Lesion | None] = relationship(foreign_keys=[lesion_pk])
    assessment: Mapped[Assessment | None] = relationship(foreign_keys=[assessment_pk])
    exam_received: Mapped[Report | None] = relationship(foreign_keys=[exam_received_pk])
    patient: Mapped[Patient] = relationship()


class AuditEvent(Base):
    """Append-only trail: who did what, when, from where. Database triggers forbid UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(32))
    entity_pk: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


class ApiUser(Base):
    """Someone (or some system) allowed to call the API, with exactly one role (see calcitrack.app.auth)."""

    __tablename__ = "api_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="user", order_by="ApiKey.id")


class ApiKey(Base):
    """One credential of a user: only its prefix and a salted scrypt hash are stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("api_users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[ApiUser] = relationship(back_populates="keys")


NOTIFICATION_KINDS: tuple[str, ...] = ("created", "due_soon", "overdue", "escalated")
NOTIFICATION_CHANNELS: tuple[str, ...] = ("email", "fhir")
NOTIFICATION_STATUSES: tuple[str, ...] = ("queued", "sent", "failed", "skipped")


class Clinician(Base):
    """Where to reach a responsible clinician: ``name`` is the value stored in ``FollowUp.responsible``.

    Why a table keyed by that name: follow-ups name their clinician as free text (ingest ``--responsible``,
    transfers); notices need an e-mail address and a FHIR ``Practitioner`` reference for that same name.
    """

    __tablename__ = "clinicians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    fhir_reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """The outbox (``calcitrack.notify.outbox``): one notice of one kind, for one follow-up, on one channel.

    Written in the transaction that changes the follow-up, delivered later with retries; the unique key
    makes a second "overdue" for the same follow-up and channel impossible. No message body is stored:
    it is rendered at delivery time from the follow-up.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("follow_up_pk", "kind", "channel", name="uq_notifications_follow_up_kind_channel"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follow_up_pk: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recipient: Mapped[str | None] = mapped_column(String(200))
    recipient_pk: Mapped[int | None] = mapped_column(Integer)  # clinicians.id at the last attempt
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
