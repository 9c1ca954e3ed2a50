"""One chunk in a worker: every record becomes output or an error row, in order, never an exception; the
bytes do not depend on the clock; and a KB that cannot load gives findings without assessments, flagged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from calcitrack.batch.records import FINDINGS_SCHEMA, LESIONS_SCHEMA, REPORTS_SCHEMA, Columns
from calcitrack.batch.sources import InputFormat, Item, read_items
from calcitrack.batch.work import (
    OutputFormat,
    WorkConfig,
    analyze_fields,
    error_record,
    process_chunk,
    process_items,
    wait_ready,
)
from calcitrack.settings import get_settings

TEXT = ("LIVER: A 4 mm punctate calcification in segment VII, with acoustic shadowing.\n"
        "IMPRESSION: tiny hepatic calcification in segment VII.")
SECRET = "Patient Jean Dupont"


def _jsonl(tmp_path: Path, lines: list[str]) -> tuple[Path, list[Item]]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path, list(read_items(path, InputFormat.jsonl, Columns()))


def _config(path: Path, fmt: OutputFormat = OutputFormat.jsonl, policy: str | None = None) -> WorkConfig:
    return WorkConfig(source=str(path), columns=Columns(), policy=policy, fmt=fmt)


def test_a_chunk_of_jsonl_gives_analyses_and_error_rows_in_input_order(tmp_path: Path) -> None:
    path, items = _jsonl(tmp_path, [
        json.dumps({"id": "a", "text": TEXT, "lang": "en"}),
        "{broken",
        json.dumps({"id": "b", "text": "Chest x-ray: clear lungs."}),
        json.dumps({"id": "c", "text": TEXT, "modality": "PET-MRI"}),
    ])
    result = process_items(7, items, _config(path))
    assert (result.index, result.items, result.ok, result.failed) == (7, 4, 2, 2)
    assert result.pid == os.getpid() and result.peak_rss_mb > 0 and result.cpu_seconds >= 0
    analyses = [json.loads(line) for line in result.jsonl.decode("utf-8").splitlines()]
    assert [a["report"]["id"] for a in analyses] == ["a", "b"]
    assert all(a["timings"] == {} for a in analyses)  # no clock in the bytes
    assert result.findings == len(analyses[0]["findings"]) + len(analyses[1]["findings"]) >= 2
    assert [e["row"] for e in result.errors] == [2, 4]
    assert result.errors[0]["error"].startswith(f"{path}:2: invalid JSON")
    assert result.errors[1]["error"].startswith(f"{path}:4: invalid value for modality")
    assert not result.kb_missing


def test_the_same_chunk_gives_the_same_bytes_twice(tmp_path: Path) -> None:
    path, items = _jsonl(tmp_path, [json.dumps({"id": f"r{i}", "text": TEXT}) for i in range(3)])
    first = process_items(0, items, _config(path))
    second = process_items(0, items, _config(path))
    assert first.jsonl == second.jsonl and first.jsonl.endswith(b"\n")


def test_a_parquet_chunk_gives_three_typed_tables(tmp_path: Path) -> None:
    path, items = _jsonl(tmp_path, [json.dumps({"id": "a", "text": TEXT, "date": "2026-03-01", "modality": "US"}),
                                    json.dumps({"id": "b", "text": "No acute disease."})])
    result = process_items(0, items, _config(path, OutputFormat.parquet, policy="standard"))
    assert result.jsonl == b""
    assert isinstance(result.reports_table, pa.Table)
    assert result.findings_table.schema.equals(FINDINGS_SCHEMA)
    assert result.lesions_table.schema.equals(LESIONS_SCHEMA)
    assert result.reports_table.schema.equals(REPORTS_SCHEMA)
    reports = result.reports_table.to_pylist()
    assert [(r["report_id"], r["source_row"], r["source_line"]) for r in reports] == [("a", 1, 1), ("b", 2, 2)]
    assert reports[0]["modality"] == "US" and str(reports[0]["date"]) == "2026-03-01"
    assert reports[0]["policy"] == "standard" and reports[1]["findings"] == 0
    lesions = result.lesions_table.to_pylist()
    assert lesions and {row["report_id"] for row in lesions} == {"a"}
    assert lesions[0]["organ"] == "liver" and lesions[0]["action"] is not None


def test_an_invalid_record_is_refused_with_its_place_and_field_never_its_text() -> None:
    """A record that cannot make a Report: the reason names the file, row, line and field, not the text."""
    fields = {"row": 5, "line": 6, "where": "in.csv: row 5 (line 6)", "id": ["not", "an", "id"],
              "text": f"{SECRET}: LIVER calcification", "lang": None, "patient_id": None, "date": None,
              "modality": None, "error": None}
    analysis, reason, kb_missing = analyze_fields(fields, None)
    assert analysis is None and not kb_missing
    assert reason == "in.csv: row 5 (line 6): field 'id' must be a string or an integer"
    assert SECRET not in (reason or "")
    assert error_record(fields, reason or "") == {"row": 5, "line": 6, "error": reason}


def test_an_exception_in_the_analysis_is_the_records_error_with_its_type_only(tmp_path: Path) -> None:
    """The analysis raises (here the KB refuses an unknown policy): an error row naming the exception's
    type, never its message (which could quote the report); every record gets its own row, in order."""
    path, items = _jsonl(tmp_path, [json.dumps({"id": "a", "text": f"{SECRET}. {TEXT}"}),
                                    json.dumps({"id": "b", "text": "No acute disease."})])
    result = process_items(0, items, _config(path, policy="no-such-policy"))
    assert (result.items, result.ok, result.failed, result.jsonl) == (2, 0, 2, b"")
    assert result.errors == [{"row": n, "line": n, "error": f"{path}:{n}: analysis failed (KBError)"} for n in (1, 2)]


def test_degraded_mode_when_the_kb_cannot_load(tmp_path: Path, broken_kb: Path) -> None:
    """The KB is broken: reports are still read and grouped into lesions, nothing is assessed, and the
    chunk says so (the run prints one warning); Parquet rows carry no action."""
    path, items = _jsonl(tmp_path, [json.dumps({"id": "a", "text": TEXT, "lang": "en"})])
    result = process_items(0, items, _config(path))
    assert (result.ok, result.failed, result.kb_missing) == (1, 0, True)
    analysis = json.loads(result.jsonl)
    assert analysis["findings"] and analysis["lesions"] and analysis["assessments"] == []
    assert any(w.startswith("knowledge base unavailable") for w in analysis["warnings"])
    tables = process_items(0, items, _config(path, OutputFormat.parquet))
    assert tables.kb_missing
    lesions = tables.lesions_table.to_pylist()
    assert lesions and all(row["action"] is None for row in lesions)
    assert tables.reports_table.to_pylist()[0]["assessments"] == 0


def test_the_degraded_mode_ends_when_the_kb_loads_again(tmp_path: Path, broken_kb: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path, items = _jsonl(tmp_path, [json.dumps({"id": "a", "text": TEXT, "lang": "en"})])
    assert process_items(0, items, _config(path)).kb_missing
    monkeypatch.delenv("CALCITRACK_KB_DIR")
    get_settings.cache_clear()
    result = process_items(0, items, _config(path))
    assert not result.kb_missing and json.loads(result.jsonl)["assessments"]


def test_worker_entry_points_outside_a_pool() -> None:
    """``process_chunk`` needs ``init_worker`` first; ``wait_ready`` without a barrier returns at once."""
    with pytest.raises(RuntimeError, match="before init_worker"):
        process_chunk(0, [])
    assert wait_ready() == os.getpid()
