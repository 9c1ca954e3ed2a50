"""Storing one analysed report and what was decided about it, in the caller's transaction.

Why the registry only stores: what a later report means (which earlier lesion it is, how it changed,
whether to re-assess, which follow-ups to open or close) is clinical, read from the knowledge base and
the engine; it is decided by the ingest use case (:mod:`calcitrack.app.ingest`). This module keeps what
is about the database: idempotence by report id and content hash, versions, the rows of reports,
mentions, lesions, assessments and follow-ups, closures, and the audit events - and the queries the use
case needs to decide (:func:`earlier_lesions`, :func:`open_follow_ups`).

The caller owns the transaction (one per report, see :func:`calcitrack.registry.db.session_scope`), so a
crash leaves either the whole report or nothing. The order of the calls is: :func:`open_report`,
:func:`earlier_lesions`, :func:`open_follow_ups`, then :func:`write`.

Idempotence: a report is identified by its id; its content hash covers patient, date, modality,
language and text. The same content again is a no-op; different content is an error unless amending,
which stores a new version and cancels the follow-ups of the version it replaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer, load_only

from calcitrack.errors import Conflict, InputError
from calcitrack.models import Analysis, Assessment, Finding, Lesion, Report
from calcitrack.registry import audit, followups
from calcitrack.registry import tables as t


class ReportConflictError(Conflict):
    """The report id is already stored with different content (and amending was not asked for)."""


@dataclass
class RecordResult:
    """What storing a report did; ``status`` is ``stored``, ``amended`` or ``unchanged``."""

    report_id: str
    status: str
    version: int
    findings: int = 0
    follow_ups_created: list[int] = field(default_factory=list)
    follow_ups_closed: list[int] = field(default_factory=list)
    escalated: bool = False


@dataclass(frozen=True)
class NewFollowUp:
    """A follow-up to open for a lesion, as decided by the ingest use case."""

    action: str
    what: str
    interval: str | None
    duration: str | None
    surveillance_start: dt.date | None
    opened_on: dt.date
    due_date: dt.date
    origin: str
    responsible: str | None
    escalation_role: str
    accepted_modalities: str | None = None


@dataclass(frozen=True)
class Closure:
    """An open follow-up to close; ``superseded`` when the lesion's new follow-up replaces it."""

    row: t.FollowUp
    status: str
    reason: str
    superseded: bool = False


@dataclass
class LesionDecision:
    """What was decided about one lesion of the new report (only lesions with a stored main mention)."""

    lesion_id: str
    prior_pk: int | None = None
    computed_change: str | None = None
    assessments: list[tuple[Assessment, bool]] = field(default_factory=list)
    """(assessment, recomputed): the report's assessment, then the one with the computed change if any."""
    follow_up: NewFollowUp | None = None
    closures: list[Closure] = field(default_factory=list)
    received: list[t.FollowUp] = field(default_factory=list)
    """Open follow-ups this report's exam of the lesion does not fulfil: linked, left open."""
    replaces_pk: int | None = None
    """Amending: the lesion row of the replaced version that this lesion is (later links move to it)."""


@dataclass
class OpenedReport:
    """A new report (or version) being stored: its rows, not yet added, and what it replaces."""

    analysis: Analysis
    report: t.Report
    patient: t.Patient
    new_patient: bool
    replaced: t.Report | None
    result: RecordResult
    actor: str
    source: str
    earlier: list[t.Lesion] = field(default_factory=list)
    retired_lesion_pks: set[int] = field(default_factory=set)
    """Amending: lesion rows of the replaced version whose open follow-ups the amendment cancelled."""


def content_hash(report: Report) -> str:
    """SHA-256 over what makes a report's content (not its id)."""
    payload = json.dumps(
        [report.patient_id, report.date.isoformat() if report.date else None,
         report.modality.value if report.modality else None, report.lang, report.text],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def current_version(session: Session, report_id: str) -> t.Report | None:
    """The current version of a report (its text and context are not loaded: only the hash matters)."""
    return session.scalars(
        select(t.Report)
        .options(load_only(t.Report.id, t.Report.version, t.Report.is_current, t.Report.content_hash))
        .where(t.Report.report_id == report_id, t.Report.is_current.is_(True))
    ).first()


def is_unchanged(session: Session, report: Report) -> bool:
    """True when this exact report is already stored (lets ingest skip the NLP on a rerun)."""
    return unchanged_version(session, report) is not None


def unchanged_version(session: Session, report: Report) -> int | None:
    """The stored version number when this exact report is already the current version, else None."""
    existing = current_version(session, report.id)
    return existing.version if existing is not None and existing.content_hash == content_hash(report) else None


def _patient(session: Session, key: str) -> tuple[t.Patient, bool]:
    """The patient row and whether it was just created (then there is no history to read)."""
    patient = session.scalars(select(t.Patient).where(t.Patient.key == key)).first()
    if patient is not None:
        return patient, False
    patient = t.Patient(key=key)  # inserted with the report, in the same flush (one round trip less)
    session.add(patient)
    return patient, True


def open_report(
    session: Session, analysis: Analysis, *, actor: str, source: str, amend: bool
) -> OpenedReport | RecordResult:
    """Start storing ``analysis``: the unchanged answer when it is already stored, else the new rows.

    A new version retires the current one: its open follow-ups are cancelled (the new version's analysis
    decides afresh). Raises :class:`ReportConflictError` for different content without ``amend``.
    """
    source_report = analysis.report
    if not source_report.patient_id:
        raise InputError(f"report {source_report.id}: patient_id is required to store a report")
    digest = content_hash(source_report)
    existing = current_version(session, source_report.id)
    version = 1
    if existing is not None:
        if existing.content_hash == digest:
            return RecordResult(report_id=source_report.id, status="unchanged", version=existing.version)
        if not amend:
            raise ReportConflictError(
                f"report {source_report.id} is already stored with different content;"
                " amend it to record a new version (--amend on the command line, amend=true in the API)"
            )
        version = existing.version + 1
    patient, new_patient = _patient(session, source_report.patient_id)
    report = t.Report(
        report_id=source_report.id, version=version, is_current=True, patient=patient,
        date=source_report.date, modality=source_report.modality.value if source_report.modality else None,
        lang=source_report.lang, content_hash=digest, text=source_report.text, policy=analysis.policy,
        kb_version=analysis.kb_version, n_findings=len(analysis.findings),
        context=analysis.context.model_dump(mode="json", exclude_defaults=True),
    )
    result = RecordResult(report_id=source_report.id, status="amended" if existing else "stored", version=version)
    opened = OpenedReport(analysis, report, patient, new_patient, existing, result, actor, source)
    if existing is not None:
        existing.is_current = False
        session.flush()
        _retire_version(session, opened, existing)
    return opened


def _retire_version(session: Session, opened: OpenedReport, old: t.Report) -> None:
    """Cancel the open follow-ups of a replaced version; the new version's analysis decides afresh."""
    open_rows = session.scalars(
        select(t.FollowUp)
        .join(t.Finding, t.FollowUp.finding_pk == t.Finding.id)
        .where(t.Finding.report_pk == old.id, t.FollowUp.status.in_(t.OPEN_STATUSES))
    ).all()
    for row in open_rows:
        followups.change_status(
            session, row, "cancelled", actor=opened.actor, source=opened.source,
            reason=f"report amended (version {old.version + 1} replaces {old.version})",
        )
        opened.result.follow_ups_closed.append(row.id)
        if row.lesion_pk is not None:
            opened.retired_lesion_pks.add(row.lesion_pk)


def replaced_lesions(session: Session, opened: OpenedReport) -> list[t.Lesion]:
    """Amending: the affirmed, non-historical lesions of the version being replaced (none otherwise)."""
    if opened.replaced is None:
        return []
    return list(session.scalars(
        select(t.Lesion).options(defer(t.Lesion.data))
        .where(t.Lesion.report_pk == opened.replaced.id, t.Lesion.historical.is_(False),
               t.Lesion.negated.is_(False))
        .order_by(t.Lesion.id)
    ).all())


def earlier_lesions(session: Session, opened: OpenedReport) -> list[t.Lesion]:
    """Non-historical lesions of the patient's current reports dated up to the new report (one query),
    oldest first; kept on ``opened`` for :func:`write`."""
    if opened.new_patient:
        return []
    query = (
        select(t.Lesion)
        .options(defer(t.Lesion.data))  # linking needs the columns, not the stored JSON
        .join(t.Report, t.Lesion.report_pk == t.Report.id)
        .where(t.Lesion.patient_pk == opened.patient.id, t.Report.is_current.is_(True),
               t.Lesion.historical.is_(False))
        .order_by(t.Report.date, t.Report.id, t.Lesion.id)
    )
    if opened.replaced is not None:
        query = query.where(t.Report.id != opened.replaced.id)
    before = opened.report.date
    if before is not None:
        query = query.where((t.Report.date <= before) | t.Report.date.is_(None))
    opened.earlier = list(session.scalars(query).all())
    return opened.earlier


def open_follow_ups(session: Session, lesion_pks: Iterable[int]) -> dict[int, list[t.FollowUp]]:
    """Open follow-ups of these lesion rows, by lesion row, oldest first."""
    pks = set(lesion_pks)
    by_lesion: dict[int, list[t.FollowUp]] = {}
    if not pks:
        return by_lesion
    for row in session.scalars(
        select(t.FollowUp)
        .where(t.FollowUp.lesion_pk.in_(pks), t.FollowUp.status.in_(t.OPEN_STATUSES))
        .order_by(t.FollowUp.id)
    ):
        if row.lesion_pk is not None:
            by_lesion.setdefault(row.lesion_pk, []).append(row)
    return by_lesion


def _finding_row(report: t.Report, patient: t.Patient, finding: Finding) -> t.Finding:
    return t.Finding(
        report=report, patient=patient, key=finding.id, organ=finding.organ.value,
        site=finding.site, size_mm=finding.size_mm, pattern=finding.pattern.value if finding.pattern else None,
        associated_mass=finding.associated_mass, duct_dilatation=finding.duct_dilatation,
        negated=finding.negated, historical=finding.historical,
        reported_change=finding.interval_change.value if finding.interval_change else None,
        data=finding.model_dump(mode="json"),
    )


def _lesion_row(report: t.Report, patient: t.Patient, lesion: Lesion) -> t.Lesion:
    return t.Lesion(
        report=report, patient=patient, key=lesion.id, organ=lesion.organ.value, site=lesion.site,
        size_mm=lesion.size_mm, count=None if lesion.count is None else str(lesion.count),
        pattern=lesion.pattern.value if lesion.pattern else None, associated_mass=lesion.associated_mass,
        duct_dilatation=lesion.duct_dilatation, negated=lesion.negated, historical=lesion.historical,
        reported_change=lesion.interval_change.value if lesion.interval_change else None,
        data=lesion.model_dump(mode="json"),
    )


def _assessment_row(main: t.Finding, lesion: t.Lesion, assessment: Assessment, *, recomputed: bool) -> t.Assessment:
    return t.Assessment(
        finding=main, lesion=lesion, action=assessment.action.value, policy=assessment.policy,
        kb_version=assessment.kb_version, recomputed=recomputed, data=assessment.model_dump(mode="json"),
    )


def write(
    session: Session, opened: OpenedReport, lesions: Sequence[Lesion], decisions: Sequence[LesionDecision]
) -> RecordResult:
    """Store the report, its mentions and lesions, and the decisions: links, computed changes,
    assessments, new follow-ups and closures, with their audit events."""
    analysis, report, patient = opened.analysis, opened.report, opened.patient
    actor, source, result = opened.actor, opened.source, opened.result
    by_pk = {row.id: row for row in opened.earlier}
    decided = {decision.lesion_id: decision for decision in decisions}
    mains: list[tuple[t.Lesion, t.Finding]] = []
    replacing: list[tuple[t.Lesion, t.Finding, int]] = []
    received: list[t.FollowUp] = []
    created: list[t.FollowUp] = []
    closures: list[tuple[Closure, t.FollowUp | None]] = []
    # Few round trips: build all new rows without autoflush, flush once, then apply the status changes
    # and audit events (which need the new ids); the commit flushes those.
    with session.no_autoflush:
        session.add(report)
        finding_rows: dict[str, t.Finding] = {}
        for finding in analysis.findings:
            finding_rows[finding.id] = _finding_row(report, patient, finding)
            session.add(finding_rows[finding.id])
        for lesion in lesions:
            row = _lesion_row(report, patient, lesion)
            session.add(row)
            main = finding_rows.get(lesion.main_finding_id)
            mentions = [finding_rows[fid] for fid in lesion.finding_ids if fid in finding_rows]
            for mention in mentions:
                mention.lesion = row
                if mention is not main:
                    mention.mention_of = main
            decision = decided.get(lesion.id)
            if main is None or decision is None:
                continue
            mains.append((row, main))
            if decision.prior_pk is not None:
                row.prior_lesion_pk = decision.prior_pk
                main.prior_finding_pk = by_pk[decision.prior_pk].main_finding_pk
            row.computed_change = decision.computed_change
            for mention in mentions:  # the mentions mirror their lesion's computed change
                mention.computed_change = row.computed_change
            verdict: t.Assessment | None = None
            for assessment, recomputed in decision.assessments:
                verdict = _assessment_row(main, row, assessment, recomputed=recomputed)
                session.add(verdict)
            if decision.replaces_pk is not None:
                replacing.append((row, main, decision.replaces_pk))
            received.extend(decision.received)
            new: t.FollowUp | None = None
            if decision.follow_up is not None:
                plan = decision.follow_up
                new = t.FollowUp(
                    patient=patient, finding=main, lesion=row, action=plan.action, what=plan.what,
                    interval=plan.interval, duration=plan.duration, surveillance_start=plan.surveillance_start,
                    opened_on=plan.opened_on, due_date=plan.due_date, status="pending", origin=plan.origin,
                    responsible=plan.responsible, escalation_role=plan.escalation_role,
                    accepted_modalities=plan.accepted_modalities,
                    assessment=verdict,  # the last one stored: the (re-)assessment that planned it
                )
                session.add(new)
                created.append(new)
            closures.extend((closure, new if closure.superseded else None) for closure in decision.closures)
    session.flush()
    for lesion_row, main in mains:
        lesion_row.main_finding_pk = main.id
    for lesion_row, main, old_pk in replacing:
        _take_over(session, lesion_row, main, old_pk, by_pk)
    for waiting in received:
        _receive(session, waiting, report, actor=actor, source=source)
    audit.log(
        session, actor=actor, source=source, entity="report", entity_pk=report.id,
        event_name="amended" if opened.replaced is not None else "ingested", new=f"version {report.version}",
    )
    for new in created:
        audit.log(
            session, actor=actor, source=source, entity="follow_up", entity_pk=new.id, event_name="created",
            new="pending", detail=f"{new.action} from report {report.report_id} ({new.origin})",
        )
        result.follow_ups_created.append(new.id)
    for closure, superseded_by in closures:
        followups.change_status(
            session, closure.row, closure.status, actor=actor, source=source, reason=closure.reason,
            superseded_by=superseded_by, on=report.date or dt.date.today(),
        )
        result.follow_ups_closed.append(closure.row.id)
        result.escalated = result.escalated or superseded_by is not None
    result.findings = len(analysis.findings)
    return result


def _take_over(session: Session, lesion_row: t.Lesion, main: t.Finding, old_pk: int,
               by_pk: dict[int, t.Lesion]) -> None:
    """Amending: the new version's lesion takes the replaced one's place in its chain, so that later
    reports link to it and the timeline keeps one lesion (not the old chain plus a new, unlinked one)."""
    old = session.get(t.Lesion, old_pk)
    if old is None:
        return
    if lesion_row.prior_lesion_pk is None and old.prior_lesion_pk is not None:
        lesion_row.prior_lesion_pk = old.prior_lesion_pk
        prior = by_pk.get(old.prior_lesion_pk) or session.get(t.Lesion, old.prior_lesion_pk)
        main.prior_finding_pk = prior.main_finding_pk if prior is not None else None
    session.execute(
        update(t.Lesion).where(t.Lesion.prior_lesion_pk == old_pk, t.Lesion.id != lesion_row.id)
        .values(prior_lesion_pk=lesion_row.id).execution_options(synchronize_session=False)
    )
    if old.main_finding_pk is not None:
        session.execute(
            update(t.Finding).where(t.Finding.prior_finding_pk == old.main_finding_pk, t.Finding.id != main.id)
            .values(prior_finding_pk=main.id).execution_options(synchronize_session=False)
        )


def _receive(session: Session, row: t.FollowUp, report: t.Report, *, actor: str, source: str) -> None:
    """Link a later exam that does not fulfil an open follow-up to it, with its audit event."""
    row.exam_received_pk = report.id
    row.exam_received_on = report.date or dt.date.today()
    row.updated_at = t.utcnow()
    audit.log(
        session, actor=actor, source=source, entity="follow_up", entity_pk=row.id, event_name="exam_received",
        new=report.modality, detail=f"report {report.report_id} does not fulfil it; coordinator to decide",
    )
