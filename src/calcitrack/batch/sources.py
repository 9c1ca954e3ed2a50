"""Readers for JSONL, CSV and Parquet: records with their row (and line) number, in file order.

Why the readers do so little: they run in the one main process (or the Spark driver) while the analysis
runs on every core, so they only split the input into records. A JSON line travels to the worker as raw
bytes and is decoded and parsed there; a CSV or Parquet row is already a mapping. A record that cannot be
read (bad bytes, bad CSV quoting, a field over the size limit) becomes a record carrying its error, so
the run goes on; only a problem with the file as a whole (missing, empty, no text column, not Parquet)
stops it, with one line naming the file and the column.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from calcitrack.batch.records import (
    MAX_ROW_BYTES,
    OPTIONAL,
    Columns,
    Fields,
    empty_fields,
    fields_from_json_line,
    fields_from_mapping,
)
from calcitrack.errors import InputError

Item = tuple[int, bytes] | Fields
"""A JSON line still to be parsed ``(line number, raw bytes)``, or the fields of a CSV/Parquet row."""


class InputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


_SUFFIXES = {".jsonl": InputFormat.jsonl, ".ndjson": InputFormat.jsonl, ".json": InputFormat.jsonl,
             ".csv": InputFormat.csv, ".parquet": InputFormat.parquet, ".pq": InputFormat.parquet}


def detect_format(path: Path, given: InputFormat | None) -> InputFormat:
    """The format the user gave, else the one the file name says (a directory is a Parquet dataset)."""
    if given is not None:
        return given
    if path.is_dir():
        return InputFormat.parquet
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(f"{path}: cannot tell the input format from the name; pass --input-format jsonl|csv|parquet")
    return found


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of a file or a directory (sorted, hidden and ``_`` files skipped as Spark does)."""
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.rglob("*.parquet") if not any(part.startswith(("_", ".")) for part in
                                                                  p.relative_to(path).parts))
    if not files:
        raise InputError(f"{path}: no .parquet file in this directory")
    return files


@dataclass(frozen=True)
class Fingerprint:
    """What identifies an input for ``--resume``: size and SHA-256 of its bytes; ``records`` for progress."""

    size: int
    sha256: str
    records: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "sha256": self.sha256}


def fingerprint(path: Path, fmt: InputFormat) -> Fingerprint:
    """Hash the input (one sequential read, far cheaper than analysing it) and count its records if cheap."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    files = parquet_files(path) if fmt == InputFormat.parquet else [path]
    digest = hashlib.sha256()
    size = newlines = 0
    last = b"\n"
    for file in files:
        try:
            with file.open("rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    size += len(block)
                    newlines += block.count(b"\n")
                    last = block[-1:]
        except OSError as exc:
            raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise InputError(f"{path}: empty file (no reports)")
    records: int | None = None
    if fmt == InputFormat.jsonl:
        records = newlines + (last != b"\n")
    elif fmt == InputFormat.parquet:
        records = sum(_open_parquet(f).metadata.num_rows for f in files)
    return Fingerprint(size=size, sha256=digest.hexdigest(), records=records)


def _open_parquet(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None


def read_jsonl(path: Path) -> Iterator[Item]:
    """Non-blank lines as ``(line number, raw bytes)``; decoding and parsing happen in the worker."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw.rstrip(b"\r\n")


def _check_columns(path: Path, names: list[str], columns: Columns, required: tuple[str, ...]) -> None:
    missing = [name for name in (columns.text, *required) if name not in names]
    if missing:
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise InputError(f"{path}: no column '{missing[0]}' (columns: {shown}); choose one with "
                         f"--{'text' if missing[0] == columns.text else 'id or --lang'}-column")


def _decoded_lines(handle: Any) -> Iterator[str]:
    """Lines decoded as UTF-8, bad bytes kept as surrogates so the record holding them can be refused alone."""
    first = True
    for raw in handle:
        line: str = raw.decode("utf-8", "surrogateescape")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_csv(path: Path, columns: Columns, required: tuple[str, ...] = ()) -> Iterator[Item]:
    """CSV rows (header first) as fields; a malformed record becomes an error row and the reading goes on."""
    csv.field_size_limit(MAX_ROW_BYTES)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.reader(_decoded_lines(handle))
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path}: empty file (no header, no reports)") from None
        except csv.Error as exc:
            raise InputError(f"{path}:1: unreadable CSV header ({exc})") from None
        if any(_has_surrogates(name) for name in header):
            raise InputError(f"{path}:1: the CSV header is not UTF-8")
        _check_columns(path, header, columns, required)
        wanted = {columns.text, columns.id, columns.lang, *OPTIONAL}
        positions = {name: i for i, name in enumerate(header) if name in wanted}
        row = 0
        previous_line = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                where = f"{path}: row {row} (line {previous_line + 1})"
                yield empty_fields(row, previous_line + 1, where, f"{where}: malformed CSV ({exc})")
                previous_line = reader.line_num
                continue
            line = previous_line + 1
            previous_line = reader.line_num
            if not record:
                continue
            row += 1
            where = f"{path}: row {row} (line {line})"
            if len(record) != len(header):
                yield empty_fields(row, line, where, f"{where}: {len(record)} fields, the header has {len(header)}")
                continue
            data = {name: record[i] for name, i in positions.items()}
            bad = next((name for name, value in data.items() if _has_surrogates(value)), None)
            if bad is not None:
                yield empty_fields(row, line, where, f"{where}: field '{bad}' is not UTF-8")
                continue
            yield fields_from_mapping(data, row, line, where, columns)


def read_parquet(path: Path, columns: Columns, required: tuple[str, ...] = (), batch_rows: int = 1024
                 ) -> Iterator[Item]:
    """Parquet rows (file by file, in order) as fields; only the needed columns are read."""
    import pyarrow as pa

    row = 0
    for file in parquet_files(path):
        parquet = _open_parquet(file)
        names = list(parquet.schema_arrow.names)
        _check_columns(file, names, columns, required)
        wanted = [n for n in dict.fromkeys((columns.text, columns.id, columns.lang, *OPTIONAL)) if n in names]
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted):
                for data in batch.to_pylist():
                    row += 1
                    where = f"{file}: row {row}"
                    text = data.get(columns.text)
                    if isinstance(text, str | bytes) and len(text) > MAX_ROW_BYTES:
                        yield empty_fields(row, None, where, f"{where}: field '{columns.text}' has {len(text):,} "
                                                             f"characters; the limit is {MAX_ROW_BYTES:,}")
                        continue
                    yield fields_from_mapping(data, row, None, where, columns)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{file}: unreadable Parquet data after row {row} ({type(exc).__name__})") from None


def read_items(path: Path, fmt: InputFormat, columns: Columns, required: tuple[str, ...] = ()) -> Iterator[Item]:
    """The records of ``path`` in order, whatever its format."""
    if fmt == InputFormat.jsonl:
        return read_jsonl(path)
    if fmt == InputFormat.csv:
        return read_csv(path, columns, required)
    return read_parquet(path, columns, required)


def item_fields(item: Item, source: str, columns: Columns) -> Fields:
    """The fields of any item: JSON lines are parsed here, which is why workers call it, not the reader."""
    if isinstance(item, tuple):
        number, raw = item
        return fields_from_json_line(raw, number, f"{source}:{number}", columns)
    return item

