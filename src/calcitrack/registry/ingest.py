"""Storing analyses: :func:`record` writes one analysed report, its links and its follow-ups.

Why one function on an :class:`Analysis`: the NLP and the engine stay outside the registry (the core
never imports it) and every entry point - text ingest, pre-analysed JSONL, tests - stores the same way.
The caller owns the transaction (one per report, see :func:`calcitrack.registry.db.session_scope`), so
a crash leaves either the whole report or nothing.

Idempotence: a report is identified by its id; its content hash covers patient, date, modality,
language and text. The same content again is a no-op; different content is an error unless amending,
which stores a new version and cancels the follow-ups of the version it replaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, load_only

from calcitrack.assess.durations import duration_days
from calcitrack.assess.engine import assess
from calcitrack.errors import InputError
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import group_lesions
from calcitrack.models import ACTION_RANK, Action, Analysis, Assessment, Finding, IntervalChange, Lesion, Report
from calcitrack.registry import audit, followups
from calcitrack.registry import tables as t
from calcitrack.registry.linking import Candidate, compute_change, link, new_suspicious_features


class ReportConflictError(InputError):
    """The report id is already stored with different content (and amending was not asked for)."""


@dataclass
class RecordResult:
    """What :func:`record` did; ``status`` is ``stored``, ``amended`` or ``unchanged``."""

    report_id: str
    status: str
    version: int
    findings: int = 0
    follow_ups_created: list[int] = field(default_factory=list)
    follow_ups_closed: list[int] = field(default_factory=list)
    escalated: bool = False


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


@dataclass
class _Closure:
    """A status change decided while planning, applied once the new rows have ids."""

    row: t.FollowUp
    status: str
    reason: str
    superseded_by: t.FollowUp | None = None


@dataclass
class _Context:
    session: Session
    analysis: Analysis
    report: t.Report
    patient: t.Patient
    actor: str
    source: str
    responsible: str | None
    escalation_role: str
    kb: KnowledgeBase | None
    result: RecordResult
    open_by_lesion: dict[int, list[t.FollowUp]] = field(default_factory=dict)
    mains: list[tuple[t.Lesion, t.Finding]] = field(default_factory=list)
    created: list[t.FollowUp] = field(default_factory=list)
    closures: list[_Closure] = field(default_factory=list)


def record(
    session: Session,
    analysis: Analysis,
    *,
    actor: str = "calcitrack",
    source: str = "api",
    amend: bool = False,
    responsible: str | None = None,
    escalation_role: str = followups.DEFAULT_ESCALATION_ROLE,
    kb: KnowledgeBase | None = None,
) -> RecordResult:
    """Store one analysed report in the caller's transaction; link, re-assess, create and close follow-ups."""
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
    ctx = _Context(session, analysis, report, patient, actor, source, responsible, escalation_role, kb, result)
    if existing is not None:
        existing.is_current = False
        session.flush()
        _retire_version(ctx, existing)
    # Few round trips: read everything first, build all new rows without autoflush, flush once, then
    # apply the status changes and audit events (which need the new ids); the commit flushes those.
    earlier = [] if new_patient else _earlier_lesions(session, patient, existing, report.date)
    with session.no_autoflush:
        session.add(report)
        _store_findings(ctx, earlier)
    session.flush()
    for lesion_row, main in ctx.mains:
        lesion_row.main_finding_pk = main.id
    audit.log(
        session, actor=actor, source=source, entity="report", entity_pk=report.id,
        event_name="amended" if existing else "ingested", new=f"version {version}",
    )
    for new in ctx.created:
        audit.log(
            session, actor=actor, source=source, entity="follow_up", entity_pk=new.id, event_name="created",
            new="pending", detail=f"{new.action} from report {report.report_id} ({new.origin})",
        )
        result.follow_ups_created.append(new.id)
    for closure in ctx.closures:
        followups.change_status(
            session, closure.row, closure.status, actor=actor, source=source, reason=closure.reason,
            superseded_by=closure.superseded_by, on=report.date or dt.date.today(),
        )
        result.follow_ups_closed.append(closure.row.id)
        result.escalated = result.escalated or closure.superseded_by is not None
    result.findings = len(analysis.findings)
    return result


def _retire_version(ctx: _Context, old: t.Report) -> None:
    """Cancel the open follow-ups of a replaced version; the new version's analysis decides afresh."""
    open_rows = ctx.session.scalars(
        select(t.FollowUp)
        .join(t.Finding, t.FollowUp.finding_pk == t.Finding.id)
        .where(t.Finding.report_pk == old.id, t.FollowUp.status.in_(t.OPEN_STATUSES))
    ).all()
    for row in open_rows:
        followups.change_status(
            ctx.session, row, "cancelled", actor=ctx.actor, source=ctx.source,
            reason=f"report amended (version {old.version + 1} replaces {old.version})",
        )
        ctx.result.follow_ups_closed.append(row.id)


def _earlier_lesions(
    session: Session, patient: t.Patient, replaced: t.Report | None, before: dt.date | None
) -> list[t.Lesion]:
    """Non-historical lesions of the patient's current reports dated up to ``before`` (one query)."""
    query = (
        select(t.Lesion)
        .options(defer(t.Lesion.data))  # linking needs the columns, not the stored JSON
        .join(t.Report, t.Lesion.report_pk == t.Report.id)
        .where(t.Lesion.patient_pk == patient.id, t.Report.is_current.is_(True), t.Lesion.historical.is_(False))
        .order_by(t.Report.date, t.Report.id, t.Lesion.id)
    )
    if replaced is not None:
        query = query.where(t.Report.id != replaced.id)
    if before is not None:
        query = query.where((t.Report.date <= before) | t.Report.date.is_(None))
    return list(session.scalars(query).all())


def _candidates(rows: list[t.Lesion]) -> list[Candidate]:
    """The latest affirmed row of each lesion chain (no later lesion links to it)."""
    superseded = {row.prior_lesion_pk for row in rows if row.prior_lesion_pk is not None}
    return [
        Candidate(
            pk=row.id, organ=row.organ, site=row.site, size_mm=row.size_mm, pattern=row.pattern,
            associated_mass=row.associated_mass, duct_dilatation=row.duct_dilatation, order=order,
        )
        for order, row in enumerate(rows)
        if row.id not in superseded and not row.negated
    ]


def _chain(pk: int | None, by_pk: dict[int, t.Lesion]) -> list[int]:
    chain: list[int] = []
    while pk is not None and pk not in chain:
        chain.append(pk)
        row = by_pk.get(pk)
        pk = row.prior_lesion_pk if row is not None else None
    return chain


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


def _load_open_follow_ups(ctx: _Context, lesion_pks: set[int]) -> None:
    if not lesion_pks:
        return
    for row in ctx.session.scalars(
        select(t.FollowUp)
        .where(t.FollowUp.lesion_pk.in_(lesion_pks), t.FollowUp.status.in_(t.OPEN_STATUSES))
        .order_by(t.FollowUp.id)
    ):
        if row.lesion_pk is not None:
            ctx.open_by_lesion.setdefault(row.lesion_pk, []).append(row)


def _lesions_of(analysis: Analysis) -> list[Lesion]:
    """The analysis' lesions; an analysis made before schema 2.0 has none, so its mentions are grouped
    here with the same rule (:func:`calcitrack.lesions.group_lesions`)."""
    return analysis.lesions or group_lesions(analysis.findings, analysis.report.text)


def _store_findings(ctx: _Context, earlier: list[t.Lesion]) -> None:
    """Store every mention and every lesion; link, re-assess and plan follow-ups per lesion."""
    session, analysis = ctx.session, ctx.analysis
    by_pk = {row.id: row for row in earlier}
    lesions = _lesions_of(analysis)
    linkable = [lesion for lesion in lesions if not lesion.historical]
    links = link(linkable, _candidates(earlier))
    chains = {lid: _chain(prior.pk, by_pk) for lid, prior in links.items()}
    _load_open_follow_ups(ctx, {pk for chain in chains.values() for pk in chain})
    assessments = {a.lesion_id: a for a in analysis.assessments if a.lesion_id is not None}
    finding_rows: dict[str, t.Finding] = {}
    for finding in analysis.findings:
        finding_rows[finding.id] = _finding_row(ctx.report, ctx.patient, finding)
        session.add(finding_rows[finding.id])
    for lesion in lesions:
        row = _lesion_row(ctx.report, ctx.patient, lesion)
        session.add(row)
        main = finding_rows.get(lesion.main_finding_id)
        mentions = [finding_rows[fid] for fid in lesion.finding_ids if fid in finding_rows]
        for mention in mentions:
            mention.lesion = row
            if mention is not main:
                mention.mention_of = main
        prior = links.get(lesion.id)
        if main is None:
            continue
        ctx.mains.append((row, main))
        if prior is not None:
            row.prior_lesion_pk = prior.pk
            main.prior_finding_pk = by_pk[prior.pk].main_finding_pk
        chain = chains.get(lesion.id, [])
        if lesion.negated:
            if prior is not None:
                row.computed_change = IntervalChange.resolved.value
                for mention in mentions:  # the mentions mirror their lesion's computed change
                    mention.computed_change = row.computed_change
                _plan_follow_ups(ctx, lesion, row, main, prior, None, chain)
            continue
        if lesion.historical:
            continue
        change = compute_change(prior.size_mm, lesion.size_mm, ctx.kb) if prior is not None else None
        row.computed_change = _value(change)
        for mention in mentions:
            mention.computed_change = row.computed_change
        assessment = _store_assessments(ctx, lesion, row, main, assessments.get(lesion.id))
        _plan_follow_ups(ctx, lesion, row, main, prior, assessment, chain)


def _value(change: IntervalChange | None) -> str | None:
    return change.value if change else None


def _store_assessments(
    ctx: _Context, lesion: Lesion, row: t.Lesion, main: t.Finding, assessment: Assessment | None
) -> Assessment:
    """Store the lesion's assessment (assessing it when an analysis older than schema 2.0 has none);
    re-assess when the computed interval change differs from the report's."""
    if assessment is None:
        assessment = _reassess(lesion, ctx.analysis, ctx.kb)
    ctx.session.add(_assessment_row(main, row, assessment, recomputed=False))
    if row.computed_change is None or row.computed_change == row.reported_change:
        return assessment
    updated = lesion.model_copy(update={"interval_change": IntervalChange(row.computed_change)})
    recomputed = _reassess(updated, ctx.analysis, ctx.kb)
    ctx.session.add(_assessment_row(main, row, recomputed, recomputed=True))
    return recomputed


_REASSESS_CACHE: dict[tuple[int, str, str, str, str, str], Assessment] = {}
_REASSESS_CACHE_SIZE = 4096


def _reassess(lesion: Lesion, analysis: Analysis, kb: KnowledgeBase | None) -> Assessment:
    """``assess`` of a lesion (with the computed change), memoised: the engine is pure and its
    missing-information probes make it the costliest step of ingest, while follow-up series repeat the
    same lesions."""
    kb = kb or get_kb()
    key = (
        id(kb),
        analysis.policy,
        lesion.lang,
        lesion.model_dump_json(exclude={"id", "evidence", "finding_ids", "main_finding_id"}),
        analysis.context.model_dump_json(),
        "".join(r.model_dump_json() for r in analysis.report_recommendations),
    )
    cached = _REASSESS_CACHE.get(key)
    if cached is None:
        cached = assess(
            lesion, analysis.context, policy=analysis.policy, lang=lesion.lang, kb=kb,
            report_recommendations=analysis.report_recommendations,
        )
        if len(_REASSESS_CACHE) >= _REASSESS_CACHE_SIZE:
            _REASSESS_CACHE.clear()
        _REASSESS_CACHE[key] = cached
    return cached.model_copy(update={"lesion_id": lesion.id, "finding_id": lesion.main_finding_id})


def _assessment_row(main: t.Finding, lesion: t.Lesion, assessment: Assessment, *, recomputed: bool) -> t.Assessment:
    return t.Assessment(
        finding=main, lesion=lesion, action=assessment.action.value, policy=assessment.policy,
        kb_version=assessment.kb_version, recomputed=recomputed, data=assessment.model_dump(mode="json"),
    )


def _plan_follow_ups(
    ctx: _Context,
    lesion: Lesion,
    row: t.Lesion,
    main: t.Finding,
    prior: Candidate | None,
    assessment: Assessment | None,
    chain: list[int],
) -> None:
    """Decide which follow-ups of this lesion to create, fulfil, supersede or close (docs/registry.md)."""
    open_rows = sorted((r for pk in chain for r in ctx.open_by_lesion.get(pk, [])), key=lambda r: r.id)
    change = row.computed_change or row.reported_change
    report_label = f"report {ctx.report.report_id}"
    if lesion.negated or change == IntervalChange.resolved.value:
        _close_all(ctx, open_rows, "done", f"finding resolved on {report_label}")
        return
    if assessment is None:  # no assessment (the analysis gave none): nothing to decide
        return
    action = assessment.action
    rule = (ctx.kb or get_kb()).constants.escalation
    features = new_suspicious_features(lesion, prior, ctx.kb)
    grown = rule.on_growth and change == IntervalChange.increased.value
    origin = "assessment"
    plan = followups.plan_for(assessment)
    if (grown or features) and ACTION_RANK[action] < ACTION_RANK[rule.minimum_action]:
        # Safety net (KB constant `escalation`): growth or a new suspicious feature raises the follow-up to
        # at least the KB's minimum action, whatever the assessment says.
        action, origin = rule.minimum_action, "registry_escalation"
        reasons = (["interval growth"] if grown else []) + features
        plan = followups.Plan(what=f"Work-up: {', '.join(reasons)}", interval=None, duration=None)
    base = ctx.report.date or dt.date.today()
    if action not in followups.FOLLOW_UP_ACTIONS:
        _close_all(ctx, open_rows, "done", f"no further follow-up recommended on {report_label}")
        return
    surveillance_open = [r for r in open_rows if r.action == Action.surveillance.value]
    start = base
    if action == Action.surveillance and surveillance_open:
        start = surveillance_open[0].surveillance_start or base
        duration = surveillance_open[0].duration or plan.duration
        stable = change in (IntervalChange.stable.value, IntervalChange.decreased.value)
        if stable and duration and (base - start).days >= duration_days(duration):
            _close_all(ctx, open_rows, "done", f"stable for {duration} on {report_label}")
            return
    new = t.FollowUp(
        patient=ctx.patient, finding=main, lesion=row, action=action.value, what=plan.what,
        interval=plan.interval, duration=plan.duration,
        surveillance_start=start if action == Action.surveillance else None,
        opened_on=base, due_date=followups.due_date(base, action.value, plan.interval, ctx.kb), status="pending",
        origin=origin, responsible=ctx.responsible or (open_rows[-1].responsible if open_rows else None),
        escalation_role=ctx.escalation_role,
    )
    ctx.session.add(new)
    ctx.created.append(new)
    for old in open_rows:
        if ACTION_RANK[action] > ACTION_RANK[Action(old.action)]:
            reason = f"superseded: escalated to {action.value} on {report_label}"
            ctx.closures.append(_Closure(old, "cancelled", reason, superseded_by=new))
        else:
            ctx.closures.append(_Closure(old, "done", f"fulfilled by {report_label}"))


def _close_all(ctx: _Context, rows: list[t.FollowUp], status: str, reason: str) -> None:
    ctx.closures.extend(_Closure(row, status, reason) for row in rows)
