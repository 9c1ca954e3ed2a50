"""The writers: every byte they count is on disk, a resumed run cuts back to what was counted, and Parquet
parts appear whole (atomic rename) and are read back as one typed table per directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from tests.batch.helpers import make_rows

from calcitrack.batch.records import FINDINGS_SCHEMA, LESIONS_SCHEMA, REPORTS_SCHEMA, Columns
from calcitrack.batch.sinks import TABLES, AppendFile, ErrorSink, JsonlSink, ParquetSink, part_name
from calcitrack.batch.sources import Item
from calcitrack.batch.work import ChunkResult, OutputFormat, WorkConfig, process_items
from calcitrack.errors import InputError


def _items(rows: list[dict[str, Any]], first_line: int = 1) -> list[Item]:
    return [(first_line + i, json.dumps(r).encode("utf-8")) for i, r in enumerate(rows)]


def _chunk(index: int, rows: list[dict[str, Any]], fmt: OutputFormat) -> ChunkResult:
    config = WorkConfig(source="in.jsonl", columns=Columns(), policy=None, fmt=fmt)
    return process_items(index, _items(rows, 1 + index * len(rows)), config)


def test_jsonl_sink_appends_chunks_and_counts_the_bytes_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    rows = make_rows(6)
    sink = JsonlSink(path, None)
    sizes = []
    for index in range(2):
        sink.write(_chunk(index, rows[index * 3:index * 3 + 3], OutputFormat.jsonl))
        sizes.append(sink.size)
        assert path.stat().st_size == sink.size  # counted only once written (and fsynced)
    sink.close()
    ids = [json.loads(line)["report"]["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert ids == [r["id"] for r in rows]
    assert 0 < sizes[0] < sizes[1]


def test_a_resumed_append_file_is_cut_back_to_the_checkpointed_size(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"a": 1}\n{"half written')  # a kill after the checkpoint of the first line
    resumed = AppendFile(path, keep_bytes=9)
    assert resumed.size == 9
    resumed.write(b'{"b": 2}\n')
    resumed.write(b"")  # nothing to write is not a write
    resumed.close()
    assert path.read_bytes() == b'{"a": 1}\n{"b": 2}\n' and resumed.size == path.stat().st_size


def test_a_file_shorter_than_the_checkpoint_says_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"12345")
    with pytest.raises(InputError, match=r"shorter \(5 bytes\) than the checkpoint says \(100\)"):
        AppendFile(path, keep_bytes=100)
    with pytest.raises(InputError, match="cannot write"):
        AppendFile(tmp_path / "missing" / "out.jsonl", keep_bytes=None)


def test_a_fresh_append_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"a previous complete run\n")
    fresh = AppendFile(path, keep_bytes=None)
    fresh.close()
    assert path.read_bytes() == b"" and fresh.size == 0


def test_error_sink_writes_one_json_line_per_rejected_record(tmp_path: Path) -> None:
    path = tmp_path / "out.errors.jsonl"
    sink = ErrorSink(path, None)
    errors = [{"row": 3, "line": 3, "error": "in.jsonl:3: invalid JSON: Expecting value (column 1)"},
              {"row": 9, "line": 12, "error": "in.csv: row 9 (line 12): field 'text' is not UTF-8 — é"}]
    sink.write_errors(errors)
    sink.write_errors([])
    sink.close()
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == errors
    assert sink.size == path.stat().st_size


def test_parquet_sink_writes_one_typed_part_per_table_and_chunk(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = make_rows(8)
    sink = ParquetSink(out, chunks_done=0)
    for index in range(2):
        sink.write(_chunk(index, rows[index * 4:index * 4 + 4], OutputFormat.parquet))
    sink.close()
    for table in TABLES:
        names = sorted(p.name for p in (out / table).iterdir())
        assert names == [part_name(0), part_name(1)]  # no temporary file left behind
    schemas = {"findings": FINDINGS_SCHEMA, "reports": REPORTS_SCHEMA, "lesions": LESIONS_SCHEMA}
    for table, schema in schemas.items():
        read = ds.dataset(out / table, format="parquet").to_table()
        assert read.schema.equals(schema, check_metadata=False), table
    reports = ds.dataset(out / "reports", format="parquet").to_table().to_pylist()
    assert [r["report_id"] for r in reports] == [r["id"] for r in rows]
    assert [r["source_row"] for r in reports] == list(range(1, 9))
    meta = pq.ParquetFile(out / "findings" / part_name(0)).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_parquet_sink_on_resume_deletes_parts_past_the_checkpoint_and_temporaries(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = make_rows(9)
    first = ParquetSink(out, chunks_done=0)
    for index in range(3):
        first.write(_chunk(index, rows[index * 3:index * 3 + 3], OutputFormat.parquet))
    (out / "findings" / f".{part_name(3)}.tmp").write_bytes(b"half a part")  # killed while writing chunk 3
    ParquetSink(out, chunks_done=2)  # the checkpoint counted two chunks: the third is redone
    for table in TABLES:
        assert sorted(p.name for p in (out / table).iterdir()) == [part_name(0), part_name(1)]


def test_an_empty_chunk_still_writes_parts_of_the_same_schema(tmp_path: Path) -> None:
    """A chunk whose records were all rejected: empty parts, typed like their neighbours."""
    out = tmp_path / "out"
    config = WorkConfig(source="in.jsonl", columns=Columns(), policy=None, fmt=OutputFormat.parquet)
    result = process_items(0, [(1, b"{not json"), (2, b'{"text": 3}')], config)
    assert (result.ok, result.failed) == (0, 2)
    sink = ParquetSink(out, chunks_done=0)
    sink.write(result)
    table = pq.read_table(out / "lesions" / part_name(0))
    assert table.num_rows == 0 and table.schema.equals(LESIONS_SCHEMA, check_metadata=False)
