"""Writers: JSON lines appended to one file, or Parquet part files per chunk; error rows appended to JSONL.

Why every write is made durable before it is counted: the checkpoint (see :mod:`calcitrack.batch.checkpoint`)
records what the sinks report as written, so a sink only reports bytes that ``fsync`` returned for, and a
Parquet part becomes visible only by an atomic rename. On ``--resume`` the append-only files are cut back
to the recorded sizes and part files past the recorded chunk count are deleted: whatever a killed run wrote
after its last checkpoint disappears, and is written again, once.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, BinaryIO

from calcitrack.batch.checkpoint import fsync_directory
from calcitrack.batch.work import ChunkResult
from calcitrack.errors import InputError

TABLES = ("findings", "reports", "lesions")
_PART = re.compile(r"part-(\d+)\.parquet$")


def _open_append(path: Path, keep_bytes: int | None) -> BinaryIO:
    """Open for writing: truncated to empty for a fresh run, to ``keep_bytes`` for a resumed one."""
    try:
        if keep_bytes is None:
            return path.open("wb")
        handle = path.open("r+b")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    size = handle.seek(0, os.SEEK_END)
    if size < keep_bytes:
        handle.close()
        raise InputError(f"{path}: shorter ({size:,} bytes) than the checkpoint says ({keep_bytes:,}); "
                         f"it was changed after the run stopped: start again without --resume")
    handle.truncate(keep_bytes)
    handle.seek(keep_bytes)
    return handle


class AppendFile:
    """An append-only file whose size after each ``write`` is durable."""

    def __init__(self, path: Path, keep_bytes: int | None) -> None:
        self.path = path
        self.handle = _open_append(path, keep_bytes)
        self.size = keep_bytes or 0

    def write(self, data: bytes) -> None:
        if data:
            self.handle.write(data)
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.size += len(data)

    def close(self) -> None:
        self.handle.close()


class ErrorSink(AppendFile):
    """Error rows as JSON lines: ``{"row", "line", "error"}``, in input order."""

    def write_errors(self, errors: list[dict[str, Any]]) -> None:
        self.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors).encode("utf-8"))


class JsonlSink:
    """One Analysis JSON per analysed record, in input order: the ``score.py`` contract."""

    def __init__(self, path: Path, keep_bytes: int | None) -> None:
        self.file = AppendFile(path, keep_bytes)

    def write(self, result: ChunkResult) -> None:
        self.file.write(result.jsonl)

    @property
    def size(self) -> int:
        return self.file.size

    def close(self) -> None:
        self.file.close()


def part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


class ParquetSink:
    """``OUT/{findings,reports,lesions}/part-NNNNNN.parquet``: one part of each table per chunk.

    A directory of parts is what Spark, DuckDB, pandas and ``pyarrow.dataset`` read as one table; the
    zero-padded chunk index keeps the name order equal to the input order.
    """

    def __init__(self, directory: Path, chunks_done: int) -> None:
        self.directory = directory
        for table in TABLES:
            sub = directory / table
            sub.mkdir(parents=True, exist_ok=True)
            for path in sub.iterdir():
                match = _PART.search(path.name)
                if path.name.startswith(".") or (match and int(match.group(1)) >= chunks_done):
                    path.unlink()  # written after the last checkpoint, or a temporary file: redone now
        self.size = 0

    def _write_table(self, table: Any, path: Path) -> None:
        import pyarrow.parquet as pq

        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def write(self, result: ChunkResult) -> None:
        tables = {"findings": result.findings_table, "reports": result.reports_table,
                  "lesions": result.lesions_table}
        for table in TABLES:
            self._write_table(tables[table], self.directory / table / part_name(result.index))
        for table in TABLES:
            fsync_directory(self.directory / table)

    def close(self) -> None:
        """Nothing stays open between chunks."""
