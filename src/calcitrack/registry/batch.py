"""Reading report files and ingesting them one transaction per report.

Why separate from :mod:`ingest`: parsing (JSONL, .txt, stdin) and error reporting by line number are
about files; :func:`calcitrack.registry.ingest.record` is about the database. A bad line is reported
with its number and skipped; the other lines are still ingested.

A JSONL line is either a report ``{"id", "patient_id", "date", "modality", "lang"?, "text",
"context"?, "responsible"?}`` or an already computed :class:`~calcitrack.models.Analysis` (it has
``report`` and ``findings`` keys), which is stored as is - for analyses made elsewhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from calcitrack.errors import CalcitrackError, InputError
from calcitrack.models import Analysis, PatientContext, Report
from calcitrack.registry import followups
from calcitrack.registry.db import DatabaseError, StorageError, optimize, session_scope
from calcitrack.registry.ingest import RecordResult, record, unchanged_version

REPORT_KEYS = frozenset({"id", "patient_id", "date", "modality", "lang", "text", "context", "responsible"})


@dataclass
class Item:
    """One unit of input: a report to analyse or an analysis to store, with where it came from."""

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
        try:
            body = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: not UTF-8 text") from exc
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
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text") from exc


def _safe_parse(raw: str, number: int) -> Item | InputError:
    try:
        return parse_line(raw, number)
    except InputError as exc:
        return exc


Analyzer = Callable[[Report, PatientContext | None, str | None], Analysis]


def default_analyzer(report: Report, context: PatientContext | None, policy: str | None) -> Analysis:
    from calcitrack.service import analyze  # the registry depends on the service, never the reverse

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
    """Analyse and store each item in its own transaction; bad items are reported and skipped."""
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
