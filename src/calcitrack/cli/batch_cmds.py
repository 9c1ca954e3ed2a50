"""``calcitrack batch``: an archive of reports in, one Analysis per line (JSONL) or finding/report tables out.

The JSON-lines contract is unchanged from the first ``batch``: one Analysis JSON per analysed input line,
in input order; rejected lines go to the errors file with their line and reason; exit 1 when some line
was rejected, 2 when the input as a whole is unusable. What the command adds (issue 10): CSV and Parquet
input, Parquet output, every core (``--workers``), ``--resume`` after a crash, and Spark.

The output format follows the ``--out`` name (``.parquet``: Parquet; ``.jsonl``: JSON lines) unless
``--format`` says otherwise; a ``--format`` contradicting the name is refused
(:func:`calcitrack.batch.runner.output_format`). ``--engine spark`` imports :mod:`calcitrack.spark` here,
which registers its engine with the runner: the batch package never imports the Spark adapter.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from calcitrack.batch.records import Columns
from calcitrack.batch.runner import BatchOptions, Engine, run_batch
from calcitrack.batch.sources import InputFormat
from calcitrack.batch.work import OutputFormat
from calcitrack.cli.options import err_console
from calcitrack.errors import InputError

ENGINE_MODULES: dict[Engine, str] = {Engine.spark: "calcitrack.spark"}
"""Engines provided by a module above ``batch``: imported when asked for (the module registers its engine)."""


def load_engine(engine: Engine) -> None:
    """Import the module providing ``engine``, if any, so that it registers itself with the runner."""
    module = ENGINE_MODULES.get(engine)
    if module is None:
        return
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise InputError(f"--engine {engine.value}: cannot load {module} ({exc}); install the spark extra") from exc


def register(app: typer.Typer) -> None:
    @app.command("batch")
    def batch_cmd(
        in_file: Annotated[Path, typer.Argument(
            help="JSONL ({id, text, lang?, patient_id?, date?, modality?} per line), CSV with a header, or Parquet")],
        out: Annotated[Path, typer.Option("--out", help="JSONL file (one Analysis per line) or Parquet directory")],
        errors: Annotated[Path | None, typer.Option(
            "--errors", help="JSON lines of rejected records (default: OUT.errors.jsonl, or OUT/errors.jsonl)")] = None,
        fmt: Annotated[OutputFormat | None, typer.Option(
            "--format", help="jsonl: Analysis per line; parquet: OUT/findings, OUT/lesions and OUT/reports tables "
                             "(default: from the OUT extension, .parquet or .jsonl; else jsonl)")
        ] = None,
        input_format: Annotated[InputFormat | None, typer.Option(
            "--input-format", help="jsonl, csv or parquet (default: from the file name)")] = None,
        workers: Annotated[int | None, typer.Option(
            "--workers", min=1, help="worker processes (default: the cores available); Spark: local cores")] = None,
        chunk_size: Annotated[int, typer.Option(
            "--chunk-size", min=1, help="reports per chunk (unit of work, of output part and of checkpoint)")] = 1000,
        text_column: Annotated[str, typer.Option("--text-column", help="column or key holding the text")] = "text",
        id_column: Annotated[str | None, typer.Option(
            "--id-column", help="column or key holding the report id (default: id when present, else the row)")
        ] = None,
        lang_column: Annotated[str | None, typer.Option(
            "--lang-column", help="column or key holding en/fr (default: lang when present, else detected)")] = None,
        policy: Annotated[str | None, typer.Option(help="policy id")] = None,
        resume: Annotated[bool, typer.Option(
            "--resume", help="continue an interrupted run from its checkpoint (same input and options)")] = False,
        engine: Annotated[Engine, typer.Option(
            "--engine", help="local: worker processes; spark: a Spark session (local[N] unless --spark-master)")
        ] = Engine.local,
        spark_master: Annotated[str | None, typer.Option(
            "--spark-master", help="Spark master URL (default: local[WORKERS]); needs Java 17+")] = None,
    ) -> None:
        """Analyse an archive of reports on every core; bad records go to the errors file. Exit 1 when some failed."""
        load_engine(engine)
        required = tuple(name for name in (id_column, lang_column) if name is not None)
        columns = Columns(text=text_column, id=id_column or "id", lang=lang_column or "lang")
        options = BatchOptions(input=in_file, out=out, fmt=fmt, input_format=input_format, errors=errors,
                               workers=workers, chunk_size=chunk_size, columns=columns, required=required,
                               policy=policy, resume=resume, engine=engine, spark_master=spark_master,
                               console=err_console)
        try:
            stats = run_batch(options)
        except KeyboardInterrupt:
            err_console.print(f"interrupted: what was written is kept; continue with: calcitrack batch {in_file} "
                              f"--out {out} --resume", markup=False)
            raise typer.Exit(130) from None
        if stats.kb_missing:
            err_console.print("warning: knowledge base unavailable; findings without assessments", markup=False)
        for message in stats.first_errors:
            err_console.print(f"error: {message}", markup=False)
        more = f" (all in {stats.errors})" if stats.failed else ""
        resumed = f", resumed after {stats.resumed_chunks} chunks" if stats.resumed_chunks else ""
        err_console.print(f"{stats.ok} analysed, {stats.failed} rejected{more}; {stats.findings} findings; "
                          f"{stats.reports_per_s:,.0f} reports/s on {stats.workers} "
                          f"{'core' if stats.workers == 1 else 'cores'}{resumed}", markup=False)
        if stats.failed:
            raise typer.Exit(1)
