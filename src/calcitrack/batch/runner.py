"""The run: read records in chunks, analyse them on every core (or on Spark), write them in input order.

Why chunks: a chunk (``--chunk-size`` records) is the unit sent to a worker, written to the output and
counted in the checkpoint, so the IPC cost is paid per chunk rather than per report and ``--resume``
restarts at a chunk boundary.

Why a bounded window of chunks in flight (``2 x workers``) rather than ``Pool.imap``: ``imap`` reads the
whole input ahead into memory; the window keeps every core busy with a few chunks of memory, and results
are taken in submission order, so the output order is the input order whatever the number of workers.

Why ``concurrent.futures.ProcessPoolExecutor``: when a worker dies (killed, out of memory) it raises
``BrokenProcessPool`` instead of waiting forever; the run then stops with a message and the checkpoint
lets ``--resume`` go on from the last durable chunk.

Why ``--workers 1`` runs in the main process: no IPC at all, which is also the per-core figure of the
benchmark.

Why engines come from a registry (:func:`register_engine`) rather than an import of :mod:`calcitrack.spark`:
the Spark adapter is built on this package (it runs ``work`` and ``records`` in its tasks), so the arrow
points from ``spark`` to ``batch`` and never back (``tests/test_layers.py``). ``calcitrack.spark``
registers its engine when it is imported, and the face that offers ``--engine spark`` (the CLI) imports it
when asked; the runner names no module above it, not even as a string, so the core never depends on
PySpark and the only arrow is the one the layer check can see.

Why the output format follows the ``--out`` name: ``--out res.parquet`` without ``--format`` used to get
JSON lines in a file named ``.parquet``. :func:`output_format` infers the format from a known extension
and refuses a ``--format`` that contradicts it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from rich.console import Console

from calcitrack.batch.checkpoint import Checkpoint, atomic_write
from calcitrack.batch.progress import BatchProgress
from calcitrack.batch.records import Columns
from calcitrack.batch.sinks import TABLES, ErrorSink, JsonlSink, ParquetSink
from calcitrack.batch.sources import InputFormat, Item, detect_format, fingerprint, read_items
from calcitrack.batch.work import (
    ChunkResult,
    OutputFormat,
    WorkConfig,
    init_worker,
    process_chunk,
    process_items,
    wait_ready,
    warm_up,
)
from calcitrack.errors import CalcitrackError, InputError

MANIFEST = "_calcitrack.json"
"""Written last into a Parquet output directory: marks it as complete and as calcitrack's to overwrite."""


class Engine(StrEnum):
    local = "local"
    spark = "spark"


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count, under taskset or cgroups)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class BatchOptions:
    """Everything ``calcitrack batch`` was asked to do."""

    input: Path
    out: Path
    fmt: OutputFormat | None = None
    """None: from the extension of ``out`` (:func:`output_format`)."""
    input_format: InputFormat | None = None
    errors: Path | None = None
    workers: int | None = None
    chunk_size: int = 1000
    columns: Columns = field(default_factory=Columns)
    required: tuple[str, ...] = ()
    policy: str | None = None
    resume: bool = False
    engine: Engine = Engine.local
    spark_master: str | None = None
    console: Console | None = None


@dataclass
class BatchStats:
    """What a run did; ``seconds`` excludes the start-up (workers building their pipelines)."""

    items: int = 0
    ok: int = 0
    failed: int = 0
    findings: int = 0
    chunks: int = 0
    resumed_chunks: int = 0
    workers: int = 1
    seconds: float = 0.0
    startup_seconds: float = 0.0
    worker_cpu_seconds: float = 0.0
    main_cpu_seconds: float = 0.0
    peak_rss_mb: dict[int, float] = field(default_factory=dict)
    kb_missing: bool = False
    out: Path | None = None
    errors: Path | None = None
    first_errors: list[str] = field(default_factory=list)

    @property
    def reports_per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0


class ChunkEngine(Protocol):
    """Turns chunks into results, in order. ``start`` warms the workers up (not counted in the rate)."""

    workers: int

    def start(self) -> None: ...

    def results(self, chunks: Iterable[tuple[int, list[Item]]]) -> Iterator[ChunkResult]: ...

    def close(self) -> None: ...


class InProcessEngine:
    """``--workers 1``: the main process analyses; no IPC, no pickling."""

    workers = 1

    def __init__(self, config: WorkConfig) -> None:
        self.config = config

    def start(self) -> None:
        warm_up(self.config.policy)

    def results(self, chunks: Iterable[tuple[int, list[Item]]]) -> Iterator[ChunkResult]:
        for index, items in chunks:
            yield process_items(index, items, self.config)

    def close(self) -> None:
        """Nothing to stop."""


class ProcessEngine:
    """``--workers N``: N processes, each building its pipelines once; a window of chunks in flight."""

    def __init__(self, config: WorkConfig, workers: int) -> None:
        self.config, self.workers = config, workers
        method = "fork" if sys.platform == "linux" else "spawn"
        self.context = multiprocessing.get_context(method)
        self.barrier = self.context.Barrier(workers)
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        self.pool = ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=init_worker,
                                        initargs=(self.config, self.barrier, os.getpid()))
        ready = [self.pool.submit(wait_ready) for _ in range(self.workers)]
        try:
            for future in ready:
                future.result()
        except BrokenProcessPool:
            raise CalcitrackError("a worker process died while starting (out of memory?)") from None

    def results(self, chunks: Iterable[tuple[int, list[Item]]]) -> Iterator[ChunkResult]:
        assert self.pool is not None, "start() first"
        window: deque[Future[ChunkResult]] = deque()
        source = iter(chunks)
        limit = 2 * self.workers
        exhausted = False
        while True:
            while not exhausted and len(window) < limit:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                window.append(self.pool.submit(process_chunk, *nxt))
            if not window:
                return
            try:
                result = window.popleft().result()
            except BrokenProcessPool:
                raise CalcitrackError("a worker process died (killed, or out of memory); the output up to "
                                      "the last checkpoint is kept: continue with --resume") from None
            yield result

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


@dataclass(frozen=True)
class Layout:
    """Where a run writes: the output, the errors file, the checkpoint."""

    out: Path
    errors: Path
    errors_default: bool
    checkpoint: Path

    @classmethod
    def of(cls, out: Path, fmt: OutputFormat, errors: Path | None) -> Layout:
        if fmt == OutputFormat.parquet:
            default = out / "errors.jsonl"
            checkpoint = out / "_checkpoint.json"
        else:
            default = out.with_name(f"{out.stem}.errors.jsonl")
            checkpoint = out.with_name(f"{out.name}.checkpoint.json")
        return cls(out=out, errors=errors or default, errors_default=errors is None, checkpoint=checkpoint)


def _chunks(items: Iterator[Item], size: int, first_index: int) -> Iterator[tuple[int, list[Item]]]:
    for index in itertools.count(first_index):
        chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        yield index, chunk


def _resolve_policy(policy: str | None) -> tuple[str | None, str]:
    """The policy id and KB version recorded in the checkpoint; an unknown policy fails before any work."""
    from calcitrack.kb.loader import KBError, get_kb

    try:
        kb = get_kb()
    except KBError:
        return policy, ""
    return kb.resolve_policy(policy), kb.kb_version


def _prepare_output(layout: Layout, fmt: OutputFormat) -> None:
    """Make room for a fresh run; refuse to destroy what calcitrack did not write."""
    if layout.checkpoint.exists():
        try:
            done = json.loads(layout.checkpoint.read_text(encoding="utf-8")).get("chunks_done", "?")
        except (OSError, ValueError):
            done = "?"
        raise InputError(f"{layout.out}: an interrupted run left a checkpoint ({done} chunks written); continue it "
                         f"with --resume, or delete {layout.checkpoint} to start again")
    if fmt == OutputFormat.parquet:
        if layout.out.exists() and not layout.out.is_dir():
            raise InputError(f"{layout.out}: exists and is not a directory; --format parquet writes a directory")
        if layout.out.is_dir() and any(layout.out.iterdir()):
            if not (layout.out / MANIFEST).exists():
                raise InputError(f"{layout.out}: directory not empty and not a calcitrack output; choose another")
            for table in TABLES:
                shutil.rmtree(layout.out / table, ignore_errors=True)
            (layout.out / MANIFEST).unlink()
        layout.out.mkdir(parents=True, exist_ok=True)
    else:
        if layout.out.is_dir():
            raise InputError(f"{layout.out}: is a directory; --format jsonl writes a file")
        layout.out.parent.mkdir(parents=True, exist_ok=True)


class EngineFactory(Protocol):
    """Makes the engine of a run: its work configuration, the number of workers asked, and the options."""

    def __call__(self, config: WorkConfig, workers: int, options: BatchOptions) -> ChunkEngine: ...


def _local_engine(config: WorkConfig, workers: int, options: BatchOptions) -> ChunkEngine:
    if workers == 1:
        return InProcessEngine(config)
    return ProcessEngine(config, workers)


_ENGINES: dict[str, EngineFactory] = {Engine.local.value: _local_engine}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make ``--engine NAME`` run chunks with the engine ``factory`` returns (replaces an earlier one)."""
    _ENGINES[str(name)] = factory


def engine_factory(name: str) -> EngineFactory:
    """The registered factory of engine ``name`` (an engine module registers itself when imported)."""
    name = str(name)
    try:
        return _ENGINES[name]
    except KeyError:
        raise InputError(f"--engine {name}: no such engine (known: {', '.join(sorted(_ENGINES))})") from None


OUTPUT_EXTENSIONS: dict[str, OutputFormat] = {
    ".parquet": OutputFormat.parquet,
    ".jsonl": OutputFormat.jsonl,
    ".ndjson": OutputFormat.jsonl,
    ".json": OutputFormat.jsonl,
}
"""Extensions of ``--out`` that name a format; any other name takes ``--format`` (default jsonl)."""


def output_format(out: Path, fmt: OutputFormat | None) -> OutputFormat:
    """The format to write ``out`` in: ``fmt`` when given, else the one its extension names, else jsonl.

    A ``fmt`` that contradicts the extension (``--out res.parquet --format jsonl``) is refused rather than
    obeyed: either way the file name would lie about its content.
    """
    named = OUTPUT_EXTENSIONS.get(out.suffix.lower())
    if fmt is None:
        return named or OutputFormat.jsonl
    if named is not None and named != fmt:
        raise InputError(f"--out {out}: the extension {out.suffix} means --format {named.value}, but --format "
                         f"{fmt.value} was asked; drop --format or rename the output")
    return fmt


def _engine(options: BatchOptions, config: WorkConfig, workers: int) -> ChunkEngine:
    return engine_factory(options.engine)(config, workers, options)


def run_batch(options: BatchOptions) -> BatchStats:
    """Run (or resume) a batch; returns its figures. Raises ``InputError`` for problems with the input."""
    if options.chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, not {options.chunk_size}")
    fmt = output_format(options.out, options.fmt)
    options = dataclasses.replace(options, fmt=fmt)  # engines see the decided format
    in_fmt = detect_format(options.input, options.input_format)
    print_ = fingerprint(options.input, in_fmt)
    policy, kb_version = _resolve_policy(options.policy)
    layout = Layout.of(options.out, fmt, options.errors)
    run_options = {"format": fmt.value, "input_format": in_fmt.value, "chunk_size": options.chunk_size,
                   "text_column": options.columns.text, "id_column": options.columns.id,
                   "lang_column": options.columns.lang, "policy": policy, "kb_version": kb_version}
    if options.resume:
        if not layout.checkpoint.exists():
            raise InputError(f"{layout.out}: nothing to resume: no checkpoint at {layout.checkpoint} "
                             f"(the run finished, or never started)")
        checkpoint = Checkpoint.load(layout.checkpoint)
        checkpoint.check_same_run(layout.checkpoint, print_.as_dict(), run_options)
    else:
        _prepare_output(layout, fmt)
        checkpoint = Checkpoint(input=print_.as_dict(), options=run_options)

    items = read_items(options.input, in_fmt, options.columns, options.required)
    items = itertools.islice(items, checkpoint.items_done, None)
    chunks = _chunks(items, options.chunk_size, checkpoint.chunks_done)
    first = next(chunks, None)
    if first is None and not options.resume:
        raise InputError(f"{options.input}: no reports (the file holds only blank lines or a header)")
    remaining = None if print_.records is None else max(0, print_.records - checkpoint.items_done)
    workers = max(1, options.workers or available_cores())
    if remaining is not None:
        workers = min(workers, max(1, -(-remaining // options.chunk_size)))

    resumed = options.resume
    sink: JsonlSink | ParquetSink
    if fmt == OutputFormat.parquet:
        sink = ParquetSink(layout.out, checkpoint.chunks_done)
    else:
        sink = JsonlSink(layout.out, checkpoint.out_bytes if resumed else None)
    errors = ErrorSink(layout.errors, checkpoint.errors_bytes if resumed else None)
    checkpoint.save(layout.checkpoint)

    config = WorkConfig(source=str(options.input), columns=options.columns, policy=policy, fmt=fmt)
    engine = _engine(options, config, workers)
    stats = BatchStats(workers=engine.workers, resumed_chunks=checkpoint.chunks_done, out=layout.out,
                       errors=layout.errors)
    console = options.console or Console(stderr=True, highlight=False)
    started = time.perf_counter()
    try:
        engine.start()
        stats.startup_seconds = time.perf_counter() - started
        clock, main_cpu = time.perf_counter(), time.process_time()
        todo = itertools.chain([first], chunks) if first is not None else iter(())
        with BatchProgress(console, remaining) as progress:
            for result in engine.results(todo):
                sink.write(result)
                errors.write_errors(result.errors)
                checkpoint.chunks_done = result.index + 1
                checkpoint.items_done += result.items
                checkpoint.ok += result.ok
                checkpoint.failed += result.failed
                checkpoint.findings += result.findings
                checkpoint.out_bytes = sink.size
                checkpoint.errors_bytes = errors.size
                checkpoint.save(layout.checkpoint)
                stats.items += result.items
                stats.chunks += 1
                stats.worker_cpu_seconds += result.cpu_seconds
                stats.kb_missing |= result.kb_missing
                if result.pid:
                    stats.peak_rss_mb[result.pid] = max(stats.peak_rss_mb.get(result.pid, 0.0), result.peak_rss_mb)
                if len(stats.first_errors) < 5:
                    stats.first_errors += [e["error"] for e in result.errors[:5 - len(stats.first_errors)]]
                progress.advance(result.items)
        stats.seconds = time.perf_counter() - clock
        stats.main_cpu_seconds = time.process_time() - main_cpu
    finally:
        engine.close()
        sink.close()
        errors.close()
    stats.ok, stats.failed, stats.findings = checkpoint.ok, checkpoint.failed, checkpoint.findings
    if fmt == OutputFormat.parquet:
        manifest = {"schema_version": "1", "reports": checkpoint.ok, "rejected": checkpoint.failed,
                    "findings": checkpoint.findings, "chunks": checkpoint.chunks_done, "options": run_options,
                    "input": checkpoint.input}
        atomic_write(layout.out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    if layout.errors_default and checkpoint.failed == 0:
        layout.errors.unlink(missing_ok=True)
    layout.checkpoint.unlink()
    return stats
