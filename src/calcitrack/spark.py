"""calcitrack on Apache Spark: a DataFrame of reports in, a DataFrame of analyses (and of findings) out.

Why ``mapInArrow``: reports travel between the JVM and the Python workers as Arrow record batches (no
per-row pickling), and each Python worker process analyses whole batches with pipelines it builds once
and keeps: ``service.analyze`` caches its spaCy/EDS-NLP pipelines and the knowledge base per process, and
Spark reuses its Python workers between tasks (``spark.python.worker.reuse``, on by default).

Why the rows are made by :mod:`calcitrack.batch.work` and :mod:`calcitrack.batch.records`: the local
runner uses the same functions, so a report gives the same findings and actions on one core, on N cores
and on a cluster.

Why this module registers its engine with the batch runner (``register_engine``, at the end) instead of
the runner importing it: this module is built on :mod:`calcitrack.batch`, so the imports point one way,
``spark -> batch`` (checked by ``tests/test_layers.py``).

Why every import of pyspark is inside a function: the core and the local batch must work without it
(``pip install 'calcitrack[spark]'`` adds it, and a Java 17+ runtime is needed to run it).

Usage::

    from calcitrack.spark import analyze_column, findings_of, lesions_of, local_session
    spark = local_session()                       # or your cluster's session
    analysed = analyze_column(spark.read.parquet("reports/"), "report_text", id_col="accession")
    findings_of(analysed).write.parquet("findings/")
    lesions_of(analysed).write.parquet("lesions/")
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyarrow as pa

from calcitrack.batch.records import (
    FINDINGS_SCHEMA,
    LESIONS_SCHEMA,
    REPORTS_SCHEMA,
    finding_rows,
    lesion_assessments,
    lesion_rows,
    report_row,
)
from calcitrack.batch.runner import BatchOptions, ChunkEngine, Engine, register_engine
from calcitrack.batch.sources import Item
from calcitrack.batch.work import ChunkResult, WorkConfig, analyze_fields, process_items
from calcitrack.errors import CalcitrackError

SparkSession = Any  # pyspark.sql.SparkSession; typed loosely so that this module imports without pyspark
DataFrame = Any  # pyspark.sql.DataFrame


def _nullable(schema: pa.Schema) -> list[pa.Field]:
    """The fields of ``schema``, all nullable: a row that failed has no report id, no organ."""
    return [f.with_nullable(True) for f in schema]


ANALYSED_SCHEMA = pa.schema([
    *_nullable(REPORTS_SCHEMA),
    pa.field("findings_list", pa.list_(pa.struct(_nullable(FINDINGS_SCHEMA)))),
    pa.field("lesions_list", pa.list_(pa.struct(_nullable(LESIONS_SCHEMA)))),
    pa.field("error", pa.string()),
    pa.field("analysis", pa.string()),
])
"""Output of :func:`analyze_column`: the report row of ``--format parquet``, its findings nested in
``findings_list`` and its lesions in ``lesions_list``, ``error`` (the reason when the row could not be
analysed, else null) and ``analysis`` (the Analysis JSON, only with ``with_json=True``)."""

CHUNK_SCHEMA = pa.schema([
    pa.field("chunk", pa.int64()),
    pa.field("items", pa.int64()),
    pa.field("ok", pa.int64()),
    pa.field("failed", pa.int64()),
    pa.field("findings", pa.int64()),
    pa.field("jsonl", pa.binary()),
    pa.field("findings_ipc", pa.binary()),
    pa.field("reports_ipc", pa.binary()),
    pa.field("lesions_ipc", pa.binary()),
    pa.field("errors", pa.string()),
    pa.field("kb_missing", pa.bool_()),
    pa.field("pid", pa.int64()),
    pa.field("peak_rss_mb", pa.float64()),
    pa.field("seconds", pa.float64()),
    pa.field("cpu_seconds", pa.float64()),
])
"""One row per chunk for ``batch --engine spark``: the same ChunkResult the local workers return."""


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise CalcitrackError("Spark needs PySpark: pip install 'calcitrack[spark]'") from None


def java_home() -> str | None:
    """The Java runtime Spark will use: ``JAVA_HOME`` if set, else the one on ``PATH`` (None when absent)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return home
    java = shutil.which("java")
    if java is None:
        return None
    return os.path.dirname(os.path.dirname(os.path.realpath(java)))


_LOG4J2 = """\
rootLogger.level = error
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def _quiet_log_config() -> str:
    """A log4j2 file at ERROR level: Spark's default profile prints a dozen WARN/INFO lines at start-up."""
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"calcitrack-log4j2-v2-{os.getuid()}.properties")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(_LOG4J2)
        os.replace(tmp, path)
    return path


def local_session(cores: int | None = None, master: str | None = None, app_name: str = "calcitrack") -> SparkSession:
    """A quiet Spark session: ``local[cores]`` (all cores by default) unless ``master`` is given.

    Why ``PYSPARK_PYTHON`` is set for a local master: the Python workers would otherwise be ``python3`` from
    ``PATH``, which need not have calcitrack (nor pyarrow) installed; this interpreter has both. On a
    cluster the executors' Python is the cluster's business (see docs/batch.md).
    """
    _require_pyspark()
    if java_home() is None:
        raise CalcitrackError("Spark needs a Java 17+ runtime: none found (set JAVA_HOME, or install "
                              "openjdk-17-jre-headless; scripts/java.sh does it)")
    from pyspark.sql import SparkSession as Session

    master = master or f"local[{cores or '*'}]"
    if master.startswith("local"):
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (Session.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_quiet_log_config()}")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.python.worker.reuse", "true")
               .config("spark.sql.shuffle.partitions", str(cores or 8)))
    return builder.getOrCreate()


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark StructType of an Arrow schema (the one the Arrow rows are written with)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


# --- the DataFrame API ------------------------------------------------------------------------------------

def _analyze_batches(policy: str | None, with_json: bool) -> Callable[[Iterator[pa.RecordBatch]],
                                                                        Iterator[pa.RecordBatch]]:
    """The function each Python worker runs on its Arrow batches (pickled once per task, state-free)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out: list[dict[str, Any]] = []
            for rec in batch.to_pylist():
                row, line = rec.get("_row"), rec.get("_line")
                where = f"row {row}" if row is not None else f"report {rec.get('_id')}"
                fields = {"row": row, "line": line, "where": where, "id": rec.get("_id"), "text": rec.get("_text"),
                          "lang": rec.get("_lang"), "patient_id": rec.get("_patient_id"), "date": rec.get("_date"),
                          "modality": rec.get("_modality"), "error": None}
                if fields["text"] is None:
                    fields["error"] = f"{where}: missing text"
                analysis, reason, _ = analyze_fields(fields, policy)
                if analysis is None:
                    out.append({"source_row": row, "source_line": line, "report_id": None if rec.get("_id") is None
                                else str(rec.get("_id")), "findings_list": [], "lesions_list": [],
                                "error": reason})
                    continue
                record = report_row(analysis, row, line)
                by_lesion = lesion_assessments(analysis)
                record["findings_list"] = finding_rows(analysis, row, by_lesion)
                record["lesions_list"] = lesion_rows(analysis, row, by_lesion)
                record["error"] = None
                record["analysis"] = analysis.model_dump_json() if with_json else None
                out.append(record)
            yield pa.RecordBatch.from_pylist(out, schema=ANALYSED_SCHEMA)

    return run


def analyze_column(df: DataFrame, text_col: str = "text", *, id_col: str | None = None, lang_col: str | None = None,
                   row_col: str | None = None, policy: str | None = None, with_json: bool = False) -> DataFrame:
    """Analyse the reports in ``df[text_col]``: one output row per input row, in the same partitions.

    ``id_col`` gives the report id (default: ``row_col``, else ``"report"``), ``lang_col`` en/fr (default:
    detected), ``row_col`` an integer kept as ``source_row``; columns ``patient_id``, ``date`` and
    ``modality`` are used when ``df`` has them. Rows that cannot be analysed have ``error`` set.
    The result is lazy, as Spark's are: cache it before deriving several tables from it.
    """
    from pyspark.sql import functions as F

    def column(name: str | None, alias: str, cast: str) -> Any:
        if name is None or name not in df.columns:
            return F.lit(None).cast(cast).alias(alias)
        return F.col(name).cast(cast).alias(alias)

    if text_col not in df.columns:
        raise CalcitrackError(f"no column '{text_col}' in the DataFrame (columns: {', '.join(df.columns)})")
    selected = df.select(
        column(row_col, "_row", "long"), F.lit(None).cast("long").alias("_line"),
        column(id_col or row_col, "_id", "string"), column(text_col, "_text", "string"),
        column(lang_col, "_lang", "string"), column("patient_id", "_patient_id", "string"),
        # the date as text: the Report validates it, so a bad date is that row's error, not the job's (ANSI casts)
        column("date", "_date", "string"), column("modality", "_modality", "string"))
    return selected.mapInArrow(_analyze_batches(policy, with_json), spark_schema(ANALYSED_SCHEMA))


def findings_of(analysed: DataFrame) -> DataFrame:
    """One row per finding (the ``findings`` table of ``--format parquet``) from :func:`analyze_column`."""
    from pyspark.sql import functions as F

    exploded = analysed.where(F.col("error").isNull()).select(F.explode("findings_list").alias("f"))
    return exploded.select(*[F.col(f"f.{name}").alias(name) for name in FINDINGS_SCHEMA.names])


def lesions_of(analysed: DataFrame) -> DataFrame:
    """One row per lesion (the ``lesions`` table of ``--format parquet``) from :func:`analyze_column`."""
    from pyspark.sql import functions as F

    exploded = analysed.where(F.col("error").isNull()).select(F.explode("lesions_list").alias("l"))
    return exploded.select(*[F.col(f"l.{name}").alias(name) for name in LESIONS_SCHEMA.names])


def reports_of(analysed: DataFrame) -> DataFrame:
    """One row per analysed report (the ``reports`` table of ``--format parquet``)."""
    from pyspark.sql import functions as F

    return analysed.where(F.col("error").isNull()).select(*REPORTS_SCHEMA.names)


# --- the engine of `calcitrack batch --engine spark` ------------------------------------------------------

def _ipc(table: Any) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _from_ipc(data: bytes | None) -> Any:
    if not data:
        return None
    return pa.ipc.open_stream(data).read_all()


def _process_chunks(config: WorkConfig) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Each row is a whole chunk (pickled items): the very ``process_items`` the local workers run."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = []
            for rec in batch.to_pylist():
                items: list[Item] = pickle.loads(rec["blob"])
                result = process_items(rec["chunk"], items, config)
                rows.append({"chunk": result.index, "items": result.items, "ok": result.ok, "failed": result.failed,
                             "findings": result.findings, "jsonl": result.jsonl,
                             "findings_ipc": None if result.findings_table is None else _ipc(result.findings_table),
                             "reports_ipc": None if result.reports_table is None else _ipc(result.reports_table),
                             "lesions_ipc": None if result.lesions_table is None else _ipc(result.lesions_table),
                             "errors": json.dumps(result.errors), "kb_missing": result.kb_missing,
                             "pid": result.pid, "peak_rss_mb": result.peak_rss_mb,
                             "seconds": result.seconds, "cpu_seconds": result.cpu_seconds})
            yield pa.RecordBatch.from_pylist(rows, schema=CHUNK_SCHEMA)

    return run


_WARMED: set[str] = set()
"""Spark applications whose Python workers have built their pipelines (see ``SparkChunkEngine.start``)."""


class SparkChunkEngine:
    """Runs the batch's chunks as Spark tasks, a group of chunks per job, results in input order.

    Why chunks rather than :func:`analyze_column` over the file: the driver reads the file with the same
    readers as the local engine (same row numbers, same rejected rows) and gets back exactly the
    ChunkResults the local workers return, so the sinks, the checkpoint and ``--resume`` are shared —
    a run killed locally may resume on Spark and the reverse.
    """

    def __init__(self, config: WorkConfig, workers: int, master: str | None = None) -> None:
        self.config, self.workers, self.master = config, workers, master
        self.session: Any = None
        self.group = 4 * workers

    def start(self) -> None:
        self.session = local_session(self.workers, master=self.master, app_name="calcitrack batch")
        context = self.session.sparkContext
        cores = max(int(context.defaultParallelism), 1)
        self.workers = cores
        self.group = 4 * cores
        if context.applicationId not in _WARMED:
            # Every Python worker builds its pipelines, and the JVM compiles its Arrow paths, before the clock
            # starts: a job of realistic volume (2 chunks of 100 reports per core), once per application.
            line = json.dumps({"text": "LIVER: A 4 mm punctate calcification in segment VII. " + "Normal. " * 200})
            warm: list[tuple[int, list[Item]]] = [(i, [(n + 1, line.encode("utf-8")) for n in range(100)])
                                                  for i in range(2 * cores)]
            list(self._run(warm))
            _WARMED.add(context.applicationId)

    def _run(self, chunks: list[tuple[int, list[Item]]]) -> Iterator[ChunkResult]:
        table = pa.table({"chunk": pa.array([index for index, _ in chunks], pa.int64()),
                          "blob": pa.array([pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
                                            for _, items in chunks], pa.binary())})
        # From Arrow straight to the JVM, sliced into defaultParallelism partitions in order.
        frame = self.session.createDataFrame(table).mapInArrow(_process_chunks(self.config),
                                                               spark_schema(CHUNK_SCHEMA))
        for rec in frame.toArrow().to_pylist():  # partitions come back in order: one chunk per partition
            yield ChunkResult(index=rec["chunk"], items=rec["items"], ok=rec["ok"], failed=rec["failed"],
                              findings=rec["findings"], jsonl=bytes(rec["jsonl"] or b""),
                              findings_table=_from_ipc(rec["findings_ipc"]),
                              reports_table=_from_ipc(rec["reports_ipc"]),
                              lesions_table=_from_ipc(rec["lesions_ipc"]),
                              errors=json.loads(rec["errors"]), kb_missing=rec["kb_missing"], pid=rec["pid"],
                              peak_rss_mb=rec["peak_rss_mb"], seconds=rec["seconds"],
                              cpu_seconds=rec["cpu_seconds"])

    def _collect(self, group: list[tuple[int, list[Item]]]) -> list[ChunkResult]:
        return list(self._run(group))

    def results(self, chunks: Iterable[tuple[int, list[Item]]]) -> Iterator[ChunkResult]:
        """Two jobs in flight: the next group's tasks fill the cores while the last tasks of the previous
        group finish and the driver writes its results (one job at a time left cores idle at every job end)."""
        from concurrent.futures import Future, ThreadPoolExecutor

        pending: deque[Future[list[ChunkResult]]] = deque()
        with ThreadPoolExecutor(2, thread_name_prefix="calcitrack-spark-job") as jobs:
            group: list[tuple[int, list[Item]]] = []
            for chunk in chunks:
                group.append(chunk)
                if len(group) >= self.group:
                    pending.append(jobs.submit(self._collect, group))
                    group = []
                    if len(pending) >= 2:
                        yield from pending.popleft().result()
            if group:
                pending.append(jobs.submit(self._collect, group))
            while pending:
                yield from pending.popleft().result()

    def close(self) -> None:
        """The session stays for the process (``getOrCreate``); Spark stops it at exit."""


def spark_engine(config: WorkConfig, workers: int, options: BatchOptions) -> ChunkEngine:
    """The factory of ``calcitrack batch --engine spark``: ``local[workers]`` unless ``--spark-master``."""
    return SparkChunkEngine(config, workers, master=options.spark_master)


register_engine(Engine.spark, spark_engine)
