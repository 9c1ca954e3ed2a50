"""Rows in and rows out: an input record as the fields of a Report, an Analysis as typed table rows.

Why explicit pyarrow schemas rather than inferring them from the first chunk: a chunk without findings, or
with every ``size_mm`` null, would otherwise give a part file of another type than its neighbours, and
Spark, DuckDB or pandas would refuse to read the directory as one table. The schemas below are the
contract of ``--format parquet`` (and of :mod:`calcitrack.spark`); columns may be added, none renamed.

Why "fields" as a plain dict between reading and analysing: the reader (main process, Spark driver) only
splits the input into records; parsing JSON and validating the Report happen where the analysis runs, in
parallel, and an invalid record becomes an error row there, never an exception that stops the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from calcitrack.errors import InputError
from calcitrack.models import ACTION_RANK, Action, Analysis, Assessment, Evidence, Finding, Lesion, Report

MAX_ROW_BYTES = 20_000_000
"""A record (JSON line, CSV record, Parquet text cell) larger than this is an error row, not a crash."""

Fields = dict[str, Any]
"""One input record: ``row``, ``line``, ``where`` (for messages), ``id``, ``text``, ``lang``,
``patient_id``, ``date``, ``modality`` and ``error`` (a reason when the record could not even be read)."""

OPTIONAL = ("patient_id", "date", "modality")


@dataclass(frozen=True)
class Columns:
    """Which input columns (or JSON keys) hold the text, the id and the language."""

    text: str = "text"
    id: str = "id"
    lang: str = "lang"


def empty_fields(row: int, line: int | None, where: str, error: str | None = None) -> Fields:
    """A record with nothing read yet (or nothing readable: ``error`` says why)."""
    return {"row": row, "line": line, "where": where, "id": None, "text": None, "lang": None,
            "patient_id": None, "date": None, "modality": None, "error": error}


def fields_from_mapping(data: dict[str, Any], row: int, line: int | None, where: str, columns: Columns) -> Fields:
    """A CSV row or Parquet row (or parsed JSON object) as fields; empty CSV cells count as absent."""
    fields = empty_fields(row, line, where)
    if columns.text not in data or data[columns.text] is None:
        fields["error"] = f"{where}: missing field '{columns.text}'"
        return fields
    for key, column in (("text", columns.text), ("id", columns.id), ("lang", columns.lang)):
        value = data.get(column)
        fields[key] = None if value == "" and key != "text" else value
    for key in OPTIONAL:
        value = data.get(key)
        fields[key] = None if value == "" else value
    return fields


def fields_from_json_line(raw: bytes, row: int, where: str, columns: Columns) -> Fields:
    """One JSON line as fields; bad bytes, bad JSON or a non-object become the record's error."""
    if len(raw) > MAX_ROW_BYTES:
        return empty_fields(row, row, where, f"{where}: line of {len(raw):,} bytes; the limit is {MAX_ROW_BYTES:,}")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return empty_fields(row, row, where, f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return empty_fields(row, row, where, f"{where}: invalid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(data, dict):
        return empty_fields(row, row, where, f"{where}: expected a JSON object")
    return fields_from_mapping(data, row, row, where, columns)


def report_from_fields(fields: Fields) -> Report:
    """The Report of a record; an ``InputError`` naming the file, the row or line and the field."""
    where = fields["where"]
    if fields["error"]:
        raise InputError(fields["error"])
    text = fields["text"]
    if not isinstance(text, str):
        raise InputError(f"{where}: field 'text' must be a string")
    if len(text) > MAX_ROW_BYTES:
        raise InputError(f"{where}: field 'text' has {len(text):,} characters; the limit is {MAX_ROW_BYTES:,}")
    ident = fields["id"]
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        raise InputError(f"{where}: field 'id' must be a string or an integer")
    data: dict[str, Any] = {"id": str(fields["row"] if ident is None else ident), "text": text}
    for name in ("lang", *OPTIONAL):
        if fields[name] is not None:
            data[name] = fields[name]
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: invalid value for {field}: {first['msg']}") from None


# --- out: typed rows ------------------------------------------------------------------------------------

RECOMMENDATION = pa.struct([
    pa.field("kind", pa.string()),
    pa.field("what", pa.string()),
    pa.field("interval", pa.string()),
    pa.field("duration", pa.string()),
    pa.field("id", pa.string()),
])

ATTRIBUTE_FIELDS = [
    pa.field("organ", pa.string(), nullable=False),
    pa.field("organ_detail", pa.string()),
    pa.field("site", pa.string()),
    pa.field("count", pa.int32()),
    pa.field("count_label", pa.string()),
    pa.field("size_mm", pa.float64()),
    pa.field("pattern", pa.string()),
    pa.field("acoustic_shadow", pa.bool_()),
    pa.field("duct_dilatation", pa.bool_()),
    pa.field("associated_mass", pa.bool_()),
    pa.field("interval_change", pa.string()),
    pa.field("negated", pa.bool_(), nullable=False),
    pa.field("uncertain", pa.bool_(), nullable=False),
    pa.field("historical", pa.bool_(), nullable=False),
]
"""The attributes a mention and a lesion share (a lesion's are merged from its mentions)."""

ASSESSMENT_FIELDS = [
    pa.field("action", pa.string()),
    pa.field("report_agreement", pa.string()),
    pa.field("differential", pa.list_(pa.string())),
    pa.field("recommendations", pa.list_(RECOMMENDATION)),
    pa.field("missing_information_ids", pa.list_(pa.string())),
    pa.field("rules_fired", pa.list_(pa.string())),
    pa.field("sources", pa.list_(pa.string())),
    pa.field("policy", pa.string()),
]
"""The assessment columns: a finding row carries its lesion's, a lesion row its own."""

FINDINGS_SCHEMA = pa.schema([
    pa.field("source_row", pa.int64()),
    pa.field("report_id", pa.string(), nullable=False),
    pa.field("finding_id", pa.string(), nullable=False),
    pa.field("lesion_id", pa.string()),
    pa.field("main_mention", pa.bool_()),
    *ATTRIBUTE_FIELDS,
    pa.field("section", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("evidence_start", pa.int32()),
    pa.field("evidence_end", pa.int32()),
    pa.field("evidence_text", pa.string()),
    *ASSESSMENT_FIELDS,
])
"""One row per finding, i.e. per mention (negated ones included: "no calcification" is information).
``lesion_id`` is the lesion the mention belongs to and ``main_mention`` whether it is that lesion's main
mention; ``action`` and the other assessment columns are those of the lesion's assessment (every mention
of a lesion carries the same ones), null for a mention of a lesion without assessment (negated or
history-only, or the knowledge base was unavailable)."""

LESIONS_SCHEMA = pa.schema([
    pa.field("source_row", pa.int64()),
    pa.field("report_id", pa.string(), nullable=False),
    pa.field("lesion_id", pa.string(), nullable=False),
    pa.field("finding_ids", pa.list_(pa.string())),
    pa.field("main_finding_id", pa.string()),
    pa.field("mentions", pa.int32()),
    *ATTRIBUTE_FIELDS,
    pa.field("current", pa.bool_(), nullable=False),
    pa.field("section", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("characterisation", pa.list_(pa.string())),
    pa.field("conflicts", pa.string()),
    pa.field("evidence_start", pa.int32()),
    pa.field("evidence_end", pa.int32()),
    pa.field("evidence_text", pa.string()),
    *ASSESSMENT_FIELDS,
    pa.field("sets_report_action", pa.bool_(), nullable=False),
])
"""One row per lesion (schema 2.0): the merged attributes of its mentions (``finding_ids``, in text order),
``characterisation`` (labels, in text order), ``conflicts`` (JSON object text: attribute -> every value the
mentions state; null when they agree), the main mention's span, and the lesion's assessment (null columns
for a negated or history-only lesion). ``sets_report_action``: this lesion is the summary's lesion."""

REPORTS_SCHEMA = pa.schema([
    pa.field("source_row", pa.int64()),
    pa.field("source_line", pa.int64()),
    pa.field("report_id", pa.string(), nullable=False),
    pa.field("patient_id", pa.string()),
    pa.field("date", pa.date32()),
    pa.field("modality", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("text_chars", pa.int32()),
    pa.field("findings", pa.int32()),
    pa.field("affirmed_findings", pa.int32()),
    pa.field("assessments", pa.int32()),
    pa.field("action", pa.string()),
    pa.field("report_recommendations", pa.int32()),
    pa.field("policy", pa.string()),
    pa.field("kb_version", pa.string()),
    pa.field("schema_version", pa.string()),
    pa.field("lesions", pa.int32()),
    pa.field("current_lesions", pa.int32()),
    pa.field("summary_action", pa.string()),
    pa.field("summary_lesion_id", pa.string()),
    pa.field("headline", pa.string()),
])
"""One row per analysed report; ``action`` is the highest action of its assessments (one per current
lesion; null when none), ``summary_action`` the report's action (the highest among its current, in-scope
lesions: ``out_of_scope`` never), ``summary_lesion_id`` the lesion that sets it and ``headline`` the
one-line summary (null when empty)."""


def _value(item: Any) -> Any:
    return getattr(item, "value", item)


def _count(count: Any) -> tuple[int | None, str | None]:
    """``count`` as (integer when known, ``single`` / ``multiple``)."""
    if count is None:
        return None, None
    number = count if isinstance(count, int) else (1 if count == "single" else None)
    label = "multiple" if count == "multiple" or (isinstance(count, int) and count > 1) else "single"
    return number, label


_NO_ASSESSMENT: dict[str, Any] = {"action": None, "report_agreement": None, "differential": [],
                                  "recommendations": [], "missing_information_ids": [], "rules_fired": [],
                                  "sources": []}


def _attribute_columns(item: Finding | Lesion) -> dict[str, Any]:
    """The :data:`ATTRIBUTE_FIELDS` of a mention or a lesion."""
    count, count_label = _count(item.count)
    return {
        "organ": item.organ.value,
        "organ_detail": item.organ_detail,
        "site": item.site,
        "count": count,
        "count_label": count_label,
        "size_mm": item.size_mm,
        "pattern": _value(item.pattern),
        "acoustic_shadow": item.acoustic_shadow,
        "duct_dilatation": item.duct_dilatation,
        "associated_mass": item.associated_mass,
        "interval_change": _value(item.interval_change),
        "negated": item.negated,
        "uncertain": item.uncertain,
        "historical": item.historical,
    }


def _evidence_columns(evidence: Evidence | None) -> dict[str, Any]:
    return {
        "evidence_start": evidence.start if evidence else None,
        "evidence_end": evidence.end if evidence else None,
        "evidence_text": evidence.text if evidence else None,
    }


def _assessment_columns(a: Assessment | None, policy: str) -> dict[str, Any]:
    if a is None:
        return {**_NO_ASSESSMENT, "policy": policy}
    return {
        "action": a.action.value,
        "report_agreement": a.report_agreement.value,
        "differential": [d.condition_id for d in a.differential],
        "recommendations": [{"kind": r.kind.value, "what": r.what, "interval": r.interval,
                             "duration": r.duration, "id": r.id} for r in a.recommendations],
        "missing_information_ids": list(a.missing_information_ids),
        "rules_fired": list(a.rules_fired),
        "sources": list(a.sources),
        "policy": a.policy,
    }


def lesion_assessments(analysis: Analysis) -> dict[str, Assessment]:
    """Lesion id -> its assessment (schema 2.0: one per current lesion; the first one if ever several)."""
    out: dict[str, Assessment] = {}
    for a in analysis.assessments:
        if a.lesion_id is not None:
            out.setdefault(a.lesion_id, a)
    return out


def finding_rows(analysis: Analysis, source_row: int | None,
                 by_lesion: dict[str, Assessment] | None = None) -> list[dict[str, Any]]:
    """The findings of an analysis as rows of :data:`FINDINGS_SCHEMA`, in the analysis's order."""
    by_lesion = lesion_assessments(analysis) if by_lesion is None else by_lesion
    lesion_of: dict[str, Lesion] = {fid: lesion for lesion in analysis.lesions for fid in lesion.finding_ids}
    by_finding = {a.finding_id: a for a in analysis.assessments if a.lesion_id is None}  # schema 1.0
    assessment_columns: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for f in analysis.findings:
        lesion = lesion_of.get(f.id)
        if lesion is not None:
            columns = assessment_columns.get(lesion.id)
            if columns is None:
                columns = assessment_columns[lesion.id] = _assessment_columns(by_lesion.get(lesion.id),
                                                                              analysis.policy)
        else:
            columns = _assessment_columns(by_finding.get(f.id), analysis.policy)
        rows.append({
            "source_row": source_row,
            "report_id": analysis.report.id,
            "finding_id": f.id,
            "lesion_id": lesion.id if lesion else None,
            "main_mention": lesion.main_finding_id == f.id if lesion else None,
            **_attribute_columns(f),
            "section": f.section.value,
            "lang": f.lang,
            **_evidence_columns(f.evidence),
            **columns,
        })
    return rows


def lesion_rows(analysis: Analysis, source_row: int | None,
                by_lesion: dict[str, Assessment] | None = None) -> list[dict[str, Any]]:
    """The lesions of an analysis as rows of :data:`LESIONS_SCHEMA`, in order of first mention."""
    by_lesion = lesion_assessments(analysis) if by_lesion is None else by_lesion
    summary_lesion = analysis.summary.lesion_id
    rows: list[dict[str, Any]] = []
    for lesion in analysis.lesions:
        rows.append({
            "source_row": source_row,
            "report_id": analysis.report.id,
            "lesion_id": lesion.id,
            "finding_ids": list(lesion.finding_ids),
            "main_finding_id": lesion.main_finding_id,
            "mentions": len(lesion.finding_ids),
            **_attribute_columns(lesion),
            "current": lesion.current,
            "section": lesion.section.value,
            "lang": lesion.lang,
            "characterisation": lesion.labels,
            "conflicts": json.dumps(lesion.conflicts, ensure_ascii=False, sort_keys=True, default=str)
            if lesion.conflicts else None,
            **_evidence_columns(lesion.evidence),
            **_assessment_columns(by_lesion.get(lesion.id), analysis.policy),
            "sets_report_action": summary_lesion is not None and lesion.id == summary_lesion,
        })
    return rows


def top_action(analysis: Analysis) -> Action | None:
    """The highest action among the assessments (what a worklist sorts on), None without assessment."""
    actions = [a.action for a in analysis.assessments]
    return max(actions, key=ACTION_RANK.__getitem__) if actions else None


def report_row(analysis: Analysis, source_row: int | None, source_line: int | None) -> dict[str, Any]:
    """The report-level row of :data:`REPORTS_SCHEMA`."""
    report = analysis.report
    action = top_action(analysis)
    return {
        "source_row": source_row,
        "source_line": source_line,
        "report_id": report.id,
        "patient_id": report.patient_id,
        "date": report.date,
        "modality": _value(report.modality),
        "lang": report.lang,
        "text_chars": len(report.text),
        "findings": len(analysis.findings),
        "affirmed_findings": sum(1 for f in analysis.findings if not f.negated),
        "assessments": len(analysis.assessments),
        "action": action.value if action else None,
        "report_recommendations": len(analysis.report_recommendations),
        "policy": analysis.policy,
        "kb_version": analysis.kb_version,
        "schema_version": analysis.schema_version,
        "lesions": len(analysis.lesions),
        "current_lesions": sum(1 for lesion in analysis.lesions if lesion.current),
        "summary_action": _value(analysis.summary.action),
        "summary_lesion_id": analysis.summary.lesion_id,
        "headline": analysis.summary.headline or None,
    }
