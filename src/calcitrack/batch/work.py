"""What a worker does with one chunk of records: parse, analyze, serialise — and never raise.

Why these functions are shared by the local worker processes, the in-process single worker and the Spark
executors: the output must be the same (same findings, same actions, same bytes) whichever engine ran
it, and the surest way is that the very same code turns a record into its output rows.

Why the output is deterministic: ``Analysis.timings`` (wall-clock figures) is emptied, so a chunk's bytes
depend only on its records; a resumed run or another number of workers then writes identical files.

Why errors are caught per record: a record the analysis chokes on (a bug, a pathological text) becomes
an error row naming the file, row and exception type — never its text, which may identify a patient —
and the other records of the chunk, and the run, go on.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calcitrack.batch.records import (
    FINDINGS_SCHEMA,
    LESIONS_SCHEMA,
    REPORTS_SCHEMA,
    Columns,
    Fields,
    finding_rows,
    lesion_assessments,
    lesion_rows,
    report_from_fields,
    report_row,
)
from calcitrack.batch.sources import Item, item_fields
from calcitrack.errors import InputError
from calcitrack.models import Analysis, Report


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


@dataclass(frozen=True)
class WorkConfig:
    """What every worker needs, sent once when the worker starts rather than with every chunk."""

    source: str
    columns: Columns
    policy: str | None
    fmt: OutputFormat


@dataclass
class ChunkResult:
    """The output of one chunk: JSON lines or three tables, the error rows, counts and the worker's memory."""

    index: int
    items: int
    ok: int = 0
    failed: int = 0
    findings: int = 0
    jsonl: bytes = b""
    findings_table: Any = None
    reports_table: Any = None
    lesions_table: Any = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    kb_missing: bool = False
    pid: int = 0
    peak_rss_mb: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def analyze_record(report: Report, policy: str | None) -> tuple[Analysis, bool]:
    """The analyze use case (:mod:`calcitrack.app.analyze`) with timings removed, and whether it ran in the
    degraded mode (the KB could not load: findings and lesions without assessments)."""
    from calcitrack.app.analyze import analyze, degraded_warning

    analysis = analyze(report, policy=policy)
    analysis.timings = {}
    return analysis, degraded_warning(analysis) is not None


def analyze_fields(fields: Fields, policy: str | None) -> tuple[Analysis | None, str | None, bool]:
    """(analysis, None, kb_missing) or (None, reason, False); the reason never quotes the report."""
    try:
        report = report_from_fields(fields)
        analysis, kb_missing = analyze_record(report, policy)
    except InputError as exc:
        return None, str(exc), False
    except Exception as exc:  # one pathological record must not end a run of millions
        return None, f"{fields['where']}: analysis failed ({type(exc).__name__})", False
    return analysis, None, kb_missing


def error_record(fields: Fields, reason: str) -> dict[str, Any]:
    """A row of the errors file: where the record was, and why it was refused."""
    return {"row": fields["row"], "line": fields["line"], "error": reason}


def process_items(index: int, items: list[Item], config: WorkConfig) -> ChunkResult:
    """Analyze one chunk; every record ends up as output or as an error row, in input order."""
    import pyarrow as pa

    started, cpu_started = time.perf_counter(), time.process_time()
    result = ChunkResult(index=index, items=len(items), pid=os.getpid())
    lines: list[str] = []
    f_rows: list[dict[str, Any]] = []
    r_rows: list[dict[str, Any]] = []
    l_rows: list[dict[str, Any]] = []
    for item in items:
        fields = item_fields(item, config.source, config.columns)
        analysis, reason, kb_missing = analyze_fields(fields, config.policy)
        if analysis is None:
            result.failed += 1
            result.errors.append(error_record(fields, reason or "unknown error"))
            continue
        result.ok += 1
        result.kb_missing |= kb_missing
        result.findings += len(analysis.findings)
        if config.fmt == OutputFormat.jsonl:
            lines.append(analysis.model_dump_json())
        else:
            by_lesion = lesion_assessments(analysis)
            f_rows += finding_rows(analysis, fields["row"], by_lesion)
            l_rows += lesion_rows(analysis, fields["row"], by_lesion)
            r_rows.append(report_row(analysis, fields["row"], fields["line"]))
    if config.fmt == OutputFormat.jsonl:
        result.jsonl = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    else:
        result.findings_table = pa.Table.from_pylist(f_rows, schema=FINDINGS_SCHEMA)
        result.reports_table = pa.Table.from_pylist(r_rows, schema=REPORTS_SCHEMA)
        result.lesions_table = pa.Table.from_pylist(l_rows, schema=LESIONS_SCHEMA)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    return result


def warm_up(policy: str | None) -> None:
    """Build the English pipeline and load the KB now, once per process, rather than in the first chunk.

    The French pipeline is built on the first French report: an English archive does not pay its memory.
    """
    analyze_record(Report(text="LIVER: a 4 mm calcification.", lang="en"), policy)


# --- the worker process side of the local engine ----------------------------------------------------------

_config: WorkConfig | None = None
_barrier: Any = None


def _die_with_parent() -> None:
    """Linux: be killed when the main process dies, even by ``kill -9`` (no orphan keeps a core busy)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def init_worker(config: WorkConfig, barrier: Any, parent: int) -> None:
    """Pool initializer: keep the config, build the pipelines once for all the chunks this process gets."""
    global _config, _barrier
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle (it stops the pool)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    _config, _barrier = config, barrier
    warm_up(config.policy)


def wait_ready() -> int:
    """Return once every worker has warmed up, so a run's clock (and its reports/s) starts warm."""
    if _barrier is not None:
        _barrier.wait(timeout=600)
    return os.getpid()


def process_chunk(index: int, items: list[Item]) -> ChunkResult:
    """Entry point of a chunk in a worker process (the config came with the initializer)."""
    if _config is None:
        raise RuntimeError("worker used before init_worker")
    return process_items(index, items, _config)
