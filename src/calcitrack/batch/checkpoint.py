"""The checkpoint of a run: how many chunks are durably written, and what they were made from.

Why this order of writes makes ``kill -9`` harmless: a chunk's output is written and fsynced first, the
checkpoint after it, by writing a temporary file, fsyncing it and renaming it over the old one (atomic on
POSIX), then fsyncing the directory. A kill before the rename leaves the previous checkpoint, which does
not count the chunk: ``--resume`` cuts the output back to the sizes the checkpoint recorded and redoes
the chunk. A kill after it leaves a checkpoint that counts only durable output. Nothing is lost, nothing
is written twice.

Why the checkpoint stores the input's fingerprint and the options: resuming a different file, or the
same file with another chunk size, column or policy, would splice two different runs into one output;
that is refused with a message naming what changed. The number of workers and the engine are not stored:
they do not change the output, so a run killed with 2 workers may resume with 8, or on Spark.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from calcitrack.errors import InputError

VERSION = 2
"""2: schema 2.0 output (a ``lesions`` Parquet table, lesion columns): a run of version 1 is not resumed."""


def fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX needs the directory itself synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees the old file or the new, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


@dataclass
class Checkpoint:
    """Progress of one run; ``out_bytes``/``errors_bytes`` are the durable sizes of the append-only files."""

    input: dict[str, Any]
    options: dict[str, Any]
    chunks_done: int = 0
    items_done: int = 0
    ok: int = 0
    failed: int = 0
    findings: int = 0
    out_bytes: int = 0
    errors_bytes: int = 0
    version: int = VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        atomic_write(path, json.dumps(asdict(self), sort_keys=True).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise InputError(f"{path}: checkpoint of another calcitrack version; start the run again")
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(f"{path}: unreadable checkpoint ({type(exc).__name__}); start the run again") from None

    def check_same_run(self, path: Path, input_print: dict[str, Any], options: dict[str, Any]) -> None:
        """Refuse to resume when the input or an output-changing option differs from the checkpoint's."""
        if self.input != input_print:
            raise InputError(f"{path}: cannot resume: the input file changed since the interrupted run "
                             f"(size or SHA-256 differ); start again without --resume")
        for name in sorted(set(self.options) | set(options)):
            before, now = self.options.get(name), options.get(name)
            if before != now:
                raise InputError(f"{path}: cannot resume: option {name} was {before!r}, now {now!r}; "
                                 f"use the same options or start again without --resume")
