"""The ingest use case: analyze reports and store them, deciding what each later report means over time.

Why here and not in the registry: storing a report means deciding - which earlier lesion each lesion is
(:mod:`calcitrack.app.linking`), how it changed, whether to re-assess it with the computed change (the
engine), which follow-ups to open, fulfil, supersede or close (:mod:`calcitrack.app.follow_up_plan`, KB
constants). Those are clinical decisions; the registry stores their result in the caller's transaction
(:mod:`calcitrack.registry.store`) and stays persistence only. Every door (CLI ``ingest``, ``POST
/api/v1/ingest``, FHIR and HL7 v2 feeds, MLLP) calls :func:`ingest_items` or :func:`record`, so a report
is stored the same way whichever door it came in by.

Files: parsing (JSONL, .txt, stdin) and error reporting by line number. A bad line is reported with its
number and skipped; the other lines are still ingested. A JSONL line is either a report ``{"id",
"patient_id", "date", "modality", "lang"?, "text", "context"?, "responsible"?}`` or an already computed
:class:`~calcitrack.models.Analysis` (it has ``report`` and ``findings`` keys), which is stored as is -
for analyses made elsewhere.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calcitrack.app.follow_up_plan import plan_follow_ups
from calcitrack.app.linking import Candidate, compute_change, link
from calcitrack.app.notifications import enqueue_created
from calcitrack.app.report_file import read_report_file
from calcitrack.assess.engine import assess
from calcitrack.errors import CalcitrackError, InputError
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import group_lesions
from calcitrack.models import Analysis, Assessment, IntervalChange, Lesion, PatientContext, Report
from calcitrack.registry import followups, store
from calcitrack.registry import tables as t
from calcitrack.registry.db import DatabaseError, StorageError, optimize, session_scope
from calcitrack.registry.store import LesionDecision, NewFollowUp, RecordResult, unchanged_version

log = logging.getLogger("calcitrack.ingest")


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
    """Store one analysed report in the caller's transaction: link its lesions to earlier ones, compute
    their change, re-assess when it differs from the report's, plan follow-ups, store all of it.

    Amending (a new version of a stored report): each lesion that is a lesion of the replaced version
    takes its place in its chain (later reports keep linking to one lesion), and plans a follow-up only
    when the replaced lesion's follow-up was still open - cancelled by the amendment and planned afresh.
    A lesion whose follow-ups were already closed (done, superseded by a later report) stays closed: the
    amendment opens nothing, and no follow-up due in the past reappears."""
    opened = store.open_report(session, analysis, actor=actor, source=source, amend=amend)
    if isinstance(opened, RecordResult):  # this exact report is already stored
        return opened
    kb = kb or get_kb()
    earlier = store.earlier_lesions(session, opened)
    by_pk = {row.id: row for row in earlier}
    lesions = _lesions_of(analysis)
    same = link([lesion for lesion in lesions if not lesion.historical],
                _candidates(store.replaced_lesions(session, opened), latest_only=False))
    links = link([lesion for lesion in lesions if not lesion.historical], _candidates(earlier))
    chains = {lid: _chain(prior.pk, by_pk) for lid, prior in links.items()}
    open_by_lesion = store.open_follow_ups(session, {pk for chain in chains.values() for pk in chain})
    assessments = {a.lesion_id: a for a in analysis.assessments if a.lesion_id is not None}
    stored_mentions = {finding.id for finding in analysis.findings}
    decisions = []
    for lesion in lesions:
        if lesion.main_finding_id not in stored_mentions:
            continue
        prior = links.get(lesion.id)
        chain = chains.get(lesion.id, [])
        open_rows = sorted((r for pk in chain for r in open_by_lesion.get(pk, [])), key=lambda r: r.id)
        decision = LesionDecision(lesion.id, prior_pk=prior.pk if prior is not None else None)
        decisions.append(decision)
        replaced = same.get(lesion.id)
        if replaced is not None:
            decision.replaces_pk = replaced.pk
        assessment: Assessment | None = None
        if lesion.negated:
            if prior is None:
                continue
            decision.computed_change = IntervalChange.resolved.value
        elif lesion.historical:
            continue
        else:
            change = compute_change(prior.size_mm, lesion.size_mm, kb) if prior is not None else None
            decision.computed_change = change.value if change else None
            assessment = _assessments(decision, lesion, analysis, assessments.get(lesion.id), kb)
        reported = lesion.interval_change.value if lesion.interval_change else None
        if replaced is not None and replaced.pk not in opened.retired_lesion_pks:
            continue  # amending a lesion whose follow-ups were closed: closed stays closed
        planned = plan_follow_ups(
            lesion, decision.computed_change or reported, prior, assessment, open_rows,
            report_id=analysis.report.id, report_date=analysis.report.date, responsible=responsible,
            escalation_role=escalation_role, kb=kb,
            modality=analysis.report.modality.value if analysis.report.modality else None,
            lang=analysis.report.lang or lesion.lang or "en",
        )
        decision.follow_up, decision.closures, decision.received = planned.new, planned.closures, planned.received
    _one_follow_up_per_request(lesions, decisions)
    result = store.write(session, opened, lesions, decisions)
    enqueue_created(session, result.follow_ups_created)  # notices go out later (calcitrack.notify.outbox)
    return result


def _one_follow_up_per_request(lesions: list[Lesion], decisions: list[LesionDecision]) -> None:
    """Drop a follow-up identical (action, what) to one already planned in this report for a lesion of the
    same organ that may be the same one (same site, or a site unknown on either side).

    Why: one liver mass named twice in different words can still come out as two lesions (the grouping
    cannot always tell); two identical requests for one mass are a phantom entry the coordinator must
    close by hand. Lesions at two different known sites keep a follow-up each.
    """
    by_id = {lesion.id: lesion for lesion in lesions}
    kept: list[tuple[Lesion, NewFollowUp]] = []
    for decision in decisions:
        plan, lesion = decision.follow_up, by_id.get(decision.lesion_id)
        if plan is None or lesion is None:
            continue
        twin = any(
            other.organ == lesion.organ and (not other.site or not lesion.site or other.site == lesion.site)
            and (kept_plan.action, kept_plan.what) == (plan.action, plan.what)
            for other, kept_plan in kept
        )
        if twin:
            decision.follow_up = None
        else:
            kept.append((lesion, plan))


def _lesions_of(analysis: Analysis) -> list[Lesion]:
    """The analysis' lesions; an analysis made before schema 2.0 has none, so its mentions are grouped
    here with the same rule (:func:`calcitrack.lesions.group_lesions`)."""
    return analysis.lesions or group_lesions(analysis.findings, analysis.report.text)


def _candidates(rows: list[t.Lesion], *, latest_only: bool = True) -> list[Candidate]:
    """The latest affirmed row of each lesion chain (no later lesion links to it); every affirmed row
    when not ``latest_only`` (the lesions of a version being amended, which later reports may link to)."""
    superseded = {row.prior_lesion_pk for row in rows if row.prior_lesion_pk is not None} if latest_only else set()
    return [
        Candidate(
            pk=row.id, organ=row.organ, site=row.site, size_mm=row.size_mm, pattern=row.pattern,
            associated_mass=row.associated_mass, duct_dilatation=row.duct_dilatation, order=order,
        )
        for order, row in enumerate(rows)
        if row.id not in superseded and not row.negated
    ]


def _chain(pk: int | None, by_pk: dict[int, t.Lesion]) -> list[int]:
    """The lesion row ``pk`` and the earlier rows it links back to, newest first."""
    chain: list[int] = []
    while pk is not None and pk not in chain:
        chain.append(pk)
        row = by_pk.get(pk)
        pk = row.prior_lesion_pk if row is not None else None
    return chain


def _assessments(
    decision: LesionDecision, lesion: Lesion, analysis: Analysis, assessment: Assessment | None,
    kb: KnowledgeBase | None,
) -> Assessment:
    """The lesion's assessment to store (assessing it when an analysis older than schema 2.0 has none),
    and a re-assessment when the computed interval change differs from the report's; returns the one
    that plans the follow-up."""
    if assessment is None:
        assessment = _reassess(lesion, analysis, kb)
    decision.assessments.append((assessment, False))
    reported = lesion.interval_change.value if lesion.interval_change else None
    if decision.computed_change is None or decision.computed_change == reported:
        return assessment
    updated = lesion.model_copy(update={"interval_change": IntervalChange(decision.computed_change)})
    recomputed = _reassess(updated, analysis, kb)
    decision.assessments.append((recomputed, True))
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


# --- files: reading items and ingesting them one transaction per report ---------------------------------

REPORT_KEYS = frozenset({"id", "patient_id", "date", "modality", "lang", "text", "context", "responsible"})


@dataclass
class Item:
    """One unit of input: a report to analyze or an analysis to store, with where it came from."""

    line: int
    report: Report | None = None
    analysis: Analysis | None = None
    context: PatientContext | None = None
    responsible: str | None = None


@dataclass
class IngestSummary:
    stored: int = 0
    amended: int = 0
    unchanged: int = 0
    follow_ups_created: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[RecordResult] = field(default_factory=list)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or exc.title
    return f"invalid value for {where}: {first['msg']}"


def parse_line(raw: str, line: int) -> Item:
    """One JSONL line to an :class:`Item`; raises :class:`InputError` naming the line."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {line}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InputError(f"line {line}: expected a JSON object")
    try:
        if "report" in data and "findings" in data:
            return Item(line=line, analysis=Analysis.model_validate(data))
        unknown = sorted(set(data) - REPORT_KEYS)
        if unknown:
            raise InputError(f"line {line}: unknown field(s) {', '.join(unknown)}")
        for required in ("id", "patient_id", "text"):
            if not data.get(required):
                raise InputError(f"line {line}: missing field {required!r}")
        modality = data.get("modality")
        if isinstance(modality, str) and modality.upper() in ("US", "CT", "MR", "XR"):
            data["modality"] = modality.upper()
        context = PatientContext.model_validate(data.pop("context")) if data.get("context") else None
        responsible = data.pop("responsible", None)
        data.pop("context", None)
        data["id"] = str(data["id"])
        data["patient_id"] = str(data["patient_id"])
        return Item(line=line, report=Report.model_validate(data), context=context, responsible=responsible)
    except ValidationError as exc:
        raise InputError(f"line {line} (report {data.get('id', '?')}): {_describe(exc)}") from exc


def _lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            yield number, raw


def read_items(
    source: str, *, patient: str | None = None, lang: str | None = None, **report_fields: Any
) -> Iterator[Item | InputError]:
    """Items of a .jsonl file, a .txt report (id = file stem) or ``-`` (JSONL on stdin); errors in-line."""
    if source == "-":
        for number, raw in _lines(sys.stdin):
            yield _safe_parse(raw, number)
        return
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file")
    if path.suffix.lower() == ".txt":
        if not patient:
            raise InputError(f"{source}: a .txt report needs --patient")
        decoded = read_report_file(path)  # the one report-file decoder (app/report_file.py), as analyze
        if decoded.warning:
            log.warning(decoded.warning)
        body = decoded.text
        fields = {k: v for k, v in report_fields.items() if v is not None}
        try:
            report = Report(id=path.stem, patient_id=patient, lang=lang, text=body, **fields)
        except ValidationError as exc:
            raise InputError(f"{source}: {_describe(exc)}") from exc
        yield Item(line=1, report=report)
        return
    try:
        with path.open(encoding="utf-8") as stream:
            for number, raw in _lines(stream):
                yield _safe_parse(raw, number)
    except UnicodeDecodeError as exc:  # JSON Lines are UTF-8 (RFC 8259); a report's .txt file may be any
        raise InputError(f"{source}: not UTF-8 text (JSON Lines must be UTF-8; byte {exc.start} of a line)") from exc


def _safe_parse(raw: str, number: int) -> Item | InputError:
    try:
        return parse_line(raw, number)
    except InputError as exc:
        return exc


Analyzer = Callable[[Report, PatientContext | None, str | None], Analysis]


def default_analyzer(report: Report, context: PatientContext | None, policy: str | None) -> Analysis:
    """:func:`calcitrack.service.analyze`: a report is stored only with its assessments (no degraded mode)."""
    from calcitrack.service import analyze  # the NLP pipelines are built on first use

    return analyze(report, context=context, policy=policy)


OPTIMIZE_EVERY_S = 60.0
"""A long-running server refreshes SQLite's planner statistics at most once a minute (one CLI run: once)."""

RACE_RETRIES = 3
"""Attempts at storing one report when a concurrent transaction inserted the same patient or report first."""


def _record_with_retry(engine: Engine, analysis: Analysis, **options: Any) -> RecordResult:
    """:func:`record` in its own transaction, run again when it lost a race on a unique key.

    Why: two requests for the same new patient, or the same report sent twice at once (a feed retrying a
    request still in progress), both see "not stored yet" and both insert; the second commit violates
    ``patients.key`` or ``(report_id, version)``. Run again, the loser sees the winner's rows: the patient
    exists, or the report is ``unchanged`` - the idempotent answer instead of a refused item. Likewise when
    a follow-up the report closes was changed by a coordinator meanwhile (the rerun plans with its new status).
    """
    for attempt in range(1, RACE_RETRIES + 1):
        try:
            with session_scope(engine) as session:
                return record(session, analysis, **options)
        except StorageError as exc:
            if attempt == RACE_RETRIES or not isinstance(exc.__cause__, IntegrityError):
                raise
        except followups.ConcurrentChangeError:  # a follow-up it closes was just changed by someone else
            if attempt == RACE_RETRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def ingest_items(
    engine: Engine,
    items: Iterator[Item | InputError],
    *,
    policy: str | None = None,
    amend: bool = False,
    actor: str = "calcitrack",
    source: str = "ingest",
    responsible: str | None = None,
    escalation_role: str = followups.DEFAULT_ESCALATION_ROLE,
    analyzer: Analyzer = default_analyzer,
    on_error: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Analyze and store each item in its own transaction; bad items are reported and skipped."""
    summary = IngestSummary()

    def fail(message: str) -> None:
        summary.errors.append(message)
        if on_error is not None:
            on_error(message)

    for item in items:
        if isinstance(item, InputError):
            fail(str(item))
            continue
        label = f"line {item.line}"
        try:
            analysis = item.analysis
            if analysis is None:
                assert item.report is not None
                label = f"line {item.line} (report {item.report.id})"
                with session_scope(engine) as session:
                    stored = unchanged_version(session, item.report)
                if stored is not None:  # skip the NLP on a rerun; still say so, item by item
                    summary.unchanged += 1
                    summary.results.append(RecordResult(report_id=item.report.id, status="unchanged", version=stored))
                    continue
                try:
                    analysis = analyzer(item.report, item.context, policy)
                except CalcitrackError:
                    raise
                except Exception as exc:  # the NLP or KB failed on this report: report it, go on
                    raise InputError(f"analysis failed: {type(exc).__name__}: {exc}") from exc
            else:
                label = f"line {item.line} (report {analysis.report.id})"
            result = _record_with_retry(
                engine, analysis, actor=actor, source=source, amend=amend,
                responsible=item.responsible or responsible, escalation_role=escalation_role,
            )
        except DatabaseError:
            raise
        except CalcitrackError as exc:
            message = str(exc)
            fail(message if message.startswith("line ") else f"{label}: {message}")
            continue
        except ValidationError as exc:
            fail(f"{label}: {_describe(exc)}")
            continue
        summary.results.append(result)
        summary.follow_ups_created += len(result.follow_ups_created)
        if result.status == "stored":
            summary.stored += 1
        elif result.status == "amended":
            summary.amended += 1
        else:
            summary.unchanged += 1
    if summary.stored or summary.amended:
        optimize(engine, at_most_every=OPTIMIZE_EVERY_S)
    return summary
