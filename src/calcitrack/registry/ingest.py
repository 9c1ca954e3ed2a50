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
from calcitrack.models import ACTION_RANK, Action, Analysis, Assessment, Finding, IntervalChange, Report
from calcitrack.registry import audit, followups
from calcitrack.registry import tables as t
from calcitrack.registry.linking import Candidate, compute_change, group_mentions, link, new_suspicious_features


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
    open_by_finding: dict[int, list[t.FollowUp]] = field(default_factory=dict)
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
    earlier = [] if new_patient else _earlier_findings(session, patient, existing, report.date)
    with session.no_autoflush:
        session.add(report)
        _store_findings(ctx, earlier)
    session.flush()
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


def _earlier_findings(
    session: Session, patient: t.Patient, replaced: t.Report | None, before: dt.date | None
) -> list[t.Finding]:
    """Non-historical findings of the patient's current reports dated up to ``before`` (one query)."""
    query = (
        select(t.Finding)
        .options(defer(t.Finding.data))  # linking needs the columns, not the stored JSON
        .join(t.Report, t.Finding.report_pk == t.Report.id)
        .where(t.Finding.patient_pk == patient.id, t.Report.is_current.is_(True), t.Finding.historical.is_(False))
        .order_by(t.Report.date, t.Report.id, t.Finding.id)
    )
    if replaced is not None:
        query = query.where(t.Report.id != replaced.id)
    if before is not None:
        query = query.where((t.Report.date <= before) | t.Report.date.is_(None))
    return list(session.scalars(query).all())


def _candidates(rows: list[t.Finding]) -> list[Candidate]:
    """Latest affirmed finding of each lesion (no later finding links to it)."""
    superseded = {row.prior_finding_pk for row in rows if row.prior_finding_pk is not None}
    return [
        Candidate(
            pk=row.id, organ=row.organ, site=row.site, size_mm=row.size_mm, pattern=row.pattern,
            associated_mass=row.associated_mass, duct_dilatation=row.duct_dilatation, order=order,
        )
        for order, row in enumerate(rows)
        if row.id not in superseded and not row.negated and row.mention_of_pk is None
    ]


def _chain(pk: int | None, by_pk: dict[int, t.Finding]) -> list[int]:
    chain: list[int] = []
    while pk is not None and pk not in chain:
        chain.append(pk)
        row = by_pk.get(pk)
        pk = row.prior_finding_pk if row is not None else None
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


def _load_open_follow_ups(ctx: _Context, finding_pks: set[int]) -> None:
    if not finding_pks:
        return
    for row in ctx.session.scalars(
        select(t.FollowUp)
        .where(t.FollowUp.finding_pk.in_(finding_pks), t.FollowUp.status.in_(t.OPEN_STATUSES))
        .order_by(t.FollowUp.id)
    ):
        ctx.open_by_finding.setdefault(row.finding_pk, []).append(row)


def _store_findings(ctx: _Context, earlier: list[t.Finding]) -> None:
    """Store every mention; link, re-assess and plan follow-ups per lesion (group of mentions)."""
    session, analysis = ctx.session, ctx.analysis
    by_pk = {row.id: row for row in earlier}
    groups = group_mentions(analysis.findings)
    representatives = [group[0] for group in groups]
    negated = [f for f in analysis.findings if f.negated and not f.historical]
    links = link(representatives + negated, _candidates(earlier))
    chains = {fid: _chain(prior.pk, by_pk) for fid, prior in links.items()}
    _load_open_follow_ups(ctx, {pk for chain in chains.values() for pk in chain})
    assessments = {a.finding_id: a for a in analysis.assessments}
    rows: dict[str, t.Finding] = {}
    for finding in analysis.findings:
        rows[finding.id] = _finding_row(ctx.report, ctx.patient, finding)
        session.add(rows[finding.id])
    for finding in negated:
        prior = links.get(finding.id)
        if prior is not None:
            row = rows[finding.id]
            row.prior_finding_pk = prior.pk
            row.computed_change = IntervalChange.resolved.value
            _plan_follow_ups(ctx, [finding], row, prior, None, chains[finding.id])
    for finding in analysis.findings:
        if finding.historical and finding.id in assessments:
            session.add(_assessment_row(rows[finding.id], assessments[finding.id], recomputed=False))
    for group in groups:
        lead = rows[group[0].id]
        prior = links.get(group[0].id)
        change = compute_change(prior.size_mm, group[0].size_mm) if prior is not None else None
        effective: list[Assessment] = []
        for member in group:
            row = rows[member.id]
            if member is not group[0]:
                row.mention_of = lead
            row.computed_change = _value(change)
            result = _store_assessments(ctx, member, row, assessments.get(member.id))
            if result is not None:
                effective.append(result)
        if prior is not None:
            lead.prior_finding_pk = prior.pk
        _plan_follow_ups(ctx, group, lead, prior, _group_action(ctx, effective), chains.get(group[0].id, []))


def _group_action(ctx: _Context, effective: list[Assessment]) -> Assessment | None:
    """The assessment that decides for a lesion mentioned several times: the highest action among the
    mentions a specific rule decided. A terse restatement ("Impression: calcified splenic granulomas")
    lacks the size and pattern of the findings sentence and so only reaches the KB's fallback rule; it
    must not override the decision on the detailed mention of the same lesion."""
    kb = ctx.kb or get_kb()
    fallback_ids = {rule.id for rule in kb.rules if rule.fallback}
    decided = [a for a in effective if not set(a.rules_fired) <= fallback_ids]
    return max(decided or effective, key=lambda a: ACTION_RANK[a.action], default=None)


def _value(change: IntervalChange | None) -> str | None:
    return change.value if change else None


def _store_assessments(
    ctx: _Context, finding: Finding, row: t.Finding, assessment: Assessment | None
) -> Assessment | None:
    """Store the analysis' assessment; re-assess when the computed interval change differs from the report's."""
    if assessment is None:
        return None
    ctx.session.add(_assessment_row(row, assessment, recomputed=False))
    if row.computed_change is None or row.computed_change == row.reported_change or finding.negated:
        return assessment
    updated = finding.model_copy(update={"interval_change": IntervalChange(row.computed_change)})
    recomputed = _reassess(updated, ctx.analysis, ctx.kb)
    ctx.session.add(_assessment_row(row, recomputed, recomputed=True))
    return recomputed


_REASSESS_CACHE: dict[tuple[int, str, str, str, str, str], Assessment] = {}
_REASSESS_CACHE_SIZE = 4096


def _reassess(finding: Finding, analysis: Analysis, kb: KnowledgeBase | None) -> Assessment:
    """``assess`` with the computed change, memoised: the engine is pure and its missing-information
    probes make it the costliest step of ingest, while follow-up series repeat the same findings."""
    kb = kb or get_kb()
    key = (
        id(kb),
        analysis.policy,
        finding.lang,
        finding.model_dump_json(exclude={"id", "evidence"}),
        analysis.context.model_dump_json(),
        "".join(r.model_dump_json() for r in analysis.report_recommendations),
    )
    cached = _REASSESS_CACHE.get(key)
    if cached is None:
        cached = assess(
            finding, analysis.context, policy=analysis.policy, lang=finding.lang, kb=kb,
            report_recommendations=analysis.report_recommendations,
        )
        if len(_REASSESS_CACHE) >= _REASSESS_CACHE_SIZE:
            _REASSESS_CACHE.clear()
        _REASSESS_CACHE[key] = cached
    return cached.model_copy(update={"finding_id": finding.id})


def _assessment_row(row: t.Finding, assessment: Assessment, *, recomputed: bool) -> t.Assessment:
    return t.Assessment(
        finding=row, action=assessment.action.value, policy=assessment.policy,
        kb_version=assessment.kb_version, recomputed=recomputed, data=assessment.model_dump(mode="json"),
    )


def _plan_follow_ups(
    ctx: _Context,
    mentions: list[Finding],
    row: t.Finding,
    prior: Candidate | None,
    assessment: Assessment | None,
    chain: list[int],
) -> None:
    """Decide which follow-ups of this lesion to create, fulfil, supersede or close (docs/registry.md)."""
    open_rows = sorted((r for pk in chain for r in ctx.open_by_finding.get(pk, [])), key=lambda r: r.id)
    change = row.computed_change or row.reported_change
    report_label = f"report {ctx.report.report_id}"
    if mentions[0].negated or change == IntervalChange.resolved.value:
        _close_all(ctx, open_rows, "done", f"finding resolved on {report_label}")
        return
    if assessment is None:  # no assessment (the analysis gave none): nothing to decide
        return
    action = assessment.action
    features = sorted({name for mention in mentions for name in new_suspicious_features(mention, prior)})
    escalate = change == IntervalChange.increased.value or bool(features)
    origin = "assessment"
    plan = followups.plan_for(assessment)
    if escalate and ACTION_RANK[action] < ACTION_RANK[Action.workup]:
        # Safety net: growth or a new suspicious feature always gets a work-up, whatever the KB says.
        action, origin = Action.workup, "registry_escalation"
        reasons = (["interval growth"] if change == IntervalChange.increased.value else []) + features
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
        patient=ctx.patient, finding=row, action=action.value, what=plan.what,
        interval=plan.interval, duration=plan.duration,
        surveillance_start=start if action == Action.surveillance else None,
        opened_on=base, due_date=followups.due_date(base, action.value, plan.interval), status="pending",
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
