"""Readers: records in file order with their row/line numbers; bad records become error rows, bad files errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.batch.helpers import make_rows, write_csv, write_jsonl, write_parquet

from calcitrack.batch.records import MAX_ROW_BYTES, Columns, report_from_fields
from calcitrack.batch.sources import (
    InputFormat,
    detect_format,
    fingerprint,
    item_fields,
    read_csv,
    read_items,
    read_jsonl,
    read_parquet,
)
from calcitrack.errors import InputError


def fields_of(path: Path, fmt: InputFormat, columns: Columns | None = None) -> list[dict[str, object]]:
    columns = columns or Columns()
    return [item_fields(item, str(path), columns) for item in read_items(path, fmt, columns)]


def test_jsonl_lines_keep_their_numbers_and_bad_lines_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a", "text": "one"}\n\n{bad\n{"id": "c", "text": "caf\xe9"}\n[1]\n'
                     b'{"id": 5, "text": "x", "lang": "de"}\n{"text": "no id"}')
    fields = fields_of(path, InputFormat.jsonl)
    assert [f["row"] for f in fields] == [1, 3, 4, 5, 6, 7]
    assert fields[0]["error"] is None and fields[0]["text"] == "one"
    assert fields[1]["error"].startswith(f"{path}:3: invalid JSON")
    assert fields[2]["error"].startswith(f"{path}:4: not UTF-8")
    assert fields[3]["error"] == f"{path}:5: expected a JSON object"
    with pytest.raises(InputError, match=r"in.jsonl:6: invalid value for lang"):
        report_from_fields(fields[4])
    assert report_from_fields(fields[5]).id == "7"  # no id: the line number


def test_jsonl_row_over_the_size_limit_is_an_error_row(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b'{"text": "' + b"a" * (MAX_ROW_BYTES + 1) + b'"}\n{"text": "small"}\n')
    first, second = fields_of(path, InputFormat.jsonl)
    assert "limit is 20,000,000" in first["error"] and second["error"] is None


def test_csv_chosen_columns_quoted_newlines_bom_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'\xef\xbb\xbfacc,report_text,modality\n'
                     b'A1,"LIVER: a calcification,\nsecond line",US\n'
                     b'A2,too,many,fields\n'
                     b'A3,"caf\xe9 latin-1",CT\n'
                     b'\n'
                     b'A4,plain,\n')
    columns = Columns(text="report_text", id="acc")
    fields = fields_of(path, InputFormat.csv, columns)
    assert [(f["row"], f["line"]) for f in fields] == [(1, 2), (2, 4), (3, 5), (4, 7)]
    assert fields[0]["text"] == "LIVER: a calcification,\nsecond line" and fields[0]["id"] == "A1"
    assert fields[1]["error"] == f"{path}: row 2 (line 4): 4 fields, the header has 3"
    assert fields[2]["error"] == f"{path}: row 3 (line 5): field 'report_text' is not UTF-8"
    report = report_from_fields(fields[3])
    assert (report.id, report.text, report.modality) == ("A4", "plain", None)


def test_csv_without_the_text_column_names_it_and_the_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", make_rows(2))
    with pytest.raises(InputError, match=r"in.csv: no column 'text' \(columns: accession, report_text, "
                                         r"modality, date\); choose one with --text-column"):
        list(read_csv(path, Columns()))
    with pytest.raises(InputError, match="no column 'nope'"):
        list(read_csv(path, Columns(text="report_text", id="nope"), required=("nope",)))


def test_csv_oversized_field_is_an_error_row_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,\"" + "b" * (MAX_ROW_BYTES + 10) + "\"\n2,fine\n", encoding="utf-8")
    fields = fields_of(path, InputFormat.csv)
    assert "malformed CSV (field larger than field limit" in fields[0]["error"]
    assert fields[-1]["text"] == "fine" and fields[-1]["id"] == "2"


def test_parquet_rows_in_order_only_needed_columns(tmp_path: Path) -> None:
    rows = make_rows(30)
    path = write_parquet(tmp_path / "in.parquet", rows)
    fields = fields_of(path, InputFormat.parquet)
    assert [f["id"] for f in fields] == [r["id"] for r in rows]
    assert [f["row"] for f in fields] == list(range(1, 31)) and fields[0]["modality"] == "US"


def test_parquet_problems_are_one_line_errors(tmp_path: Path) -> None:
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match=r"x.parquet: not a readable Parquet file"):
        list(read_parquet(not_parquet, Columns()))
    other = tmp_path / "y.parquet"
    pq.write_table(pa.table({"body": ["a"]}), other)
    with pytest.raises(InputError, match=r"no column 'text' \(columns: body\)"):
        list(read_parquet(other, Columns()))


def test_empty_and_missing_files_and_unknown_formats(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.jsonl: empty file"):
        fingerprint(empty, InputFormat.jsonl)
    with pytest.raises(InputError, match="no such file"):
        fingerprint(tmp_path / "missing.jsonl", InputFormat.jsonl)
    with pytest.raises(InputError, match="pass --input-format"):
        detect_format(tmp_path / "reports.txt", None)
    header_only = tmp_path / "h.csv"
    header_only.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"h\.csv: empty file"):
        list(read_csv(header_only, Columns()))


def test_fingerprint_counts_records_and_changes_with_content(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", make_rows(7))
    first = fingerprint(path, InputFormat.jsonl)
    assert first.records == 7 and len(list(read_jsonl(path))) == 7
    path.write_text(path.read_text(encoding="utf-8").replace("r00003", "r00009"), encoding="utf-8")
    assert fingerprint(path, InputFormat.jsonl).sha256 != first.sha256


def test_a_parquet_directory_is_read_file_by_file_skipping_spark_markers(tmp_path: Path) -> None:
    """A Spark-written dataset: parts in name order, rows numbered across files, ``_SUCCESS`` and hidden
    files skipped; a bad row is named by its file and its row."""
    rows = make_rows(7)
    dataset = tmp_path / "archive"
    (dataset / "day=2").mkdir(parents=True)
    write_parquet(dataset / "part-0.parquet", rows[:4])
    write_parquet(dataset / "day=2" / "part-1.parquet", rows[4:6])
    pq.write_table(pa.table({"id": ["bad"], "text": [None]}), dataset / "part-2.parquet")
    (dataset / "_SUCCESS").write_bytes(b"")
    write_parquet(dataset / ".hidden.parquet", rows[6:])
    (dataset / "_temporary").mkdir()
    write_parquet(dataset / "_temporary" / "part-9.parquet", rows[6:])
    assert detect_format(dataset, None) == InputFormat.parquet
    fields = fields_of(dataset, InputFormat.parquet)
    assert [f["id"] for f in fields] == ["r00004", "r00005", "r00000", "r00001", "r00002", "r00003", None]
    assert [f["row"] for f in fields] == list(range(1, 8)) and all(f["line"] is None for f in fields)
    assert fields[-1]["error"] == f"{dataset / 'part-2.parquet'}: row 7: missing field 'text'"
    assert fingerprint(dataset, InputFormat.parquet).records == 7


def test_each_format_is_read_to_the_same_reports(tmp_path: Path) -> None:
    """The same reports as JSONL, CSV and Parquet give the same ids and texts, rows counted from 1."""
    rows = make_rows(5)
    paths = {"jsonl": write_jsonl(tmp_path / "in.jsonl", rows), "csv": write_csv(tmp_path / "in.csv", rows),
             "parquet": write_parquet(tmp_path / "in.parquet", rows)}
    columns = {"jsonl": Columns(), "csv": Columns(text="report_text", id="accession"), "parquet": Columns()}
    for name, path in paths.items():
        assert detect_format(path, None) == InputFormat(name)
        reports = [report_from_fields(f) for f in fields_of(path, InputFormat(name), columns[name])]
        assert [(r.id, r.text) for r in reports] == [(row["id"], row["text"]) for row in rows], name
        assert [f["row"] for f in fields_of(path, InputFormat(name), columns[name])] == [1, 2, 3, 4, 5]


def test_jsonl_crlf_and_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.ndjson"
    path.write_bytes(b'{"text": "a"}\r\n\r\n   \n{"text": "b", "lang": "xx"}\r\n')
    assert detect_format(path, None) == InputFormat.jsonl
    assert list(read_jsonl(path)) == [(1, b'{"text": "a"}'), (4, b'{"text": "b", "lang": "xx"}')]
    second = fields_of(path, InputFormat.jsonl)[1]
    with pytest.raises(InputError, match=rf"^{path}:4: invalid value for lang"):
        report_from_fields(second)
