"""Registry benchmark: reports ingested per second (SQLite, PostgreSQL) and worklist latency.

Why these numbers: a results-management registry must keep up with a department's report flow
(target >= 300 reports/s into PostgreSQL on one core for typical reports) and its worklist must stay
interactive on a large backlog (p95 < 50 ms with 100,000 follow-ups).

    .venv/bin/python benchmarks/ingest.py                  # SQLite + PostgreSQL (CALCITRACK_TEST_POSTGRES_URL)
    .venv/bin/python benchmarks/ingest.py --reports 3000 --follow-ups 100000 --nlp 50

Ingest is measured on pre-analysed reports (``record``: linking, re-assessment, follow-ups, audit, one
transaction per report), and, with ``--nlp N``, end to end on N text reports (NLP included). PostgreSQL
runs in a scratch database ``<name>_bench_<pid>`` created next to the given one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from calcitrack.app.ingest import Item, ingest_items, record
from calcitrack.examples import synthetic
from calcitrack.registry import queries
from calcitrack.registry import tables as t
from calcitrack.registry.db import make_engine, session_scope, upgrade


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A fresh database on the same server, dropped afterwards (never touches the given database)."""
    parsed = make_url(url)
    name = f"{parsed.database}_bench_{os.getpid()}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_record(engine: Engine, n_patients: int) -> tuple[int, float, float]:
    """Reports, wall seconds, and CPU seconds of this (client) process - the "one core" of the target."""
    analyses = list(synthetic.analyses(n_patients))
    started, cpu = time.perf_counter(), time.process_time()
    for analysis in analyses:
        with session_scope(engine) as session:
            record(session, analysis, actor="bench", source="bench")
    return len(analyses), time.perf_counter() - started, time.process_time() - cpu


def bench_nlp(engine: Engine, n_reports: int) -> tuple[int, float]:
    from calcitrack.service import analyze

    analyze("warm-up: 5 mm calcification in segment VI of the liver.", lang="en")  # load the pipeline first
    items = [
        Item(line=i + 1, report=r.model_copy(update={"id": f"NLP-{i}", "patient_id": f"NLP-P{i // 3}"}))
        for i, (r, _f) in enumerate(synthetic.reports(n_reports, seed=11))
        if i < n_reports
    ]
    started = time.perf_counter()
    summary = ingest_items(engine, iter(items), policy="seed", actor="bench", source="bench")
    elapsed = time.perf_counter() - started
    if summary.errors:
        print(f"  ({len(summary.errors)} NLP errors, first: {summary.errors[0]})", file=sys.stderr)
    return summary.stored, elapsed


def fill_follow_ups(engine: Engine, n: int) -> None:
    """Bulk rows: n follow-ups over n/4 patients (statuses and due dates spread like a real backlog)."""
    today = dt.date(2026, 11, 23)
    statuses = ("pending", "pending", "notified", "scheduled", "overdue", "done", "done", "done", "cancelled")
    n_patients = max(1, n // 4)
    with engine.begin() as connection:
        connection.execute(
            insert(t.Patient),
            [{"id": i + 1, "key": f"BULK-P{i}", "created_at": dt.datetime(2026, 1, 1)} for i in range(n_patients)],
        )
        connection.execute(
            insert(t.Report),
            [
                {
                    "id": i + 1,
                    "report_id": f"BULK-R{i}",
                    "version": 1,
                    "is_current": True,
                    "patient_pk": i % n_patients + 1,
                    "date": today - dt.timedelta(days=i % 700),
                    "modality": "US",
                    "lang": "en",
                    "content_hash": "0" * 64,
                    "text": "",
                    "policy": "seed",
                    "kb_version": "bench",
                    "n_findings": 1,
                    "context": {},
                    "ingested_at": dt.datetime(2026, 1, 1),
                }
                for i in range(n)
            ],
        )
        connection.execute(
            insert(t.Finding),
            [
                {
                    "id": i + 1,
                    "report_pk": i + 1,
                    "patient_pk": i % n_patients + 1,
                    "key": "f1",
                    "organ": "liver",
                    "site": synthetic.SITES[i % len(synthetic.SITES)],
                    "size_mm": 3.0 + i % 8,
                    "pattern": "coarse",
                    "negated": False,
                    "historical": False,
                    "data": {},
                }
                for i in range(n)
            ],
        )
        connection.execute(
            insert(t.FollowUp),
            [
                {
                    "patient_pk": i % n_patients + 1,
                    "finding_pk": i + 1,
                    "action": ("surveillance", "workup", "urgent")[i % 3],
                    "what": "Liver ultrasound every 3 to 6 months",
                    "interval": "P3M",
                    "opened_on": today - dt.timedelta(days=i % 700),
                    "due_date": today + dt.timedelta(days=(i * 37) % 730 - 365),
                    "status": statuses[i % len(statuses)],
                    "origin": "assessment",
                    "escalation_role": "coordinator",
                    "created_at": dt.datetime(2026, 1, 1),
                    "updated_at": dt.datetime(2026, 1, 1),
                }
                for i in range(n)
            ],
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))  # what autovacuum (PostgreSQL) or `calcitrack ingest` (SQLite) does


def bench_worklist(engine: Engine, runs: int = 200) -> dict[str, tuple[float, float, int]]:
    cases = {
        "open (limit 500)": {},
        "due before 2026-06-01 (limit 500)": {"due_before": dt.date(2026, 6, 1)},
        "status overdue (limit 500)": {"statuses": ["overdue"]},
        "one patient": {"patient": "BULK-P123"},
    }
    result = {}
    for label, kwargs in cases.items():
        timings = []
        rows = 0
        for _ in range(runs):
            started = time.perf_counter()
            with session_scope(engine) as session:
                rows = len(queries.worklist(session, **kwargs))  # type: ignore[arg-type]
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        result[label] = (statistics.median(timings), timings[int(0.95 * len(timings)) - 1], rows)
    return result


def run(name: str, url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url, pre_ping=False)
    upgrade(engine)
    n, seconds, cpu = bench_record(engine, args.patients)
    print(
        f"{name}: ingest (pre-analysed, 1 transaction/report): {n} reports in {seconds:.2f} s"
        f" = {n / seconds:.0f} reports/s wall; client CPU {cpu / n * 1000:.2f} ms/report"
        f" = {n / cpu:.0f} reports per CPU-second"
    )
    if args.nlp:
        n, seconds = bench_nlp(engine, args.nlp)
        print(
            f"{name}: ingest end to end (NLP + engine + store): {n} reports in {seconds:.2f} s"
            f" = {n / seconds:.1f} reports/s"
        )
    engine.dispose()
    engine = make_engine(url.replace("registry.db", "worklist.db")) if name == "sqlite" else make_engine(url)
    if name != "sqlite":  # a clean schema for the bulk rows
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    started = time.perf_counter()
    fill_follow_ups(engine, args.follow_ups)
    print(f"{name}: bulk-loaded {args.follow_ups} follow-ups in {time.perf_counter() - started:.1f} s")
    for label, (p50, p95, rows) in bench_worklist(engine, args.runs).items():
        print(f"{name}: worklist {label}: {rows} rows, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000, help="synthetic patients (1-3 reports each)")
    parser.add_argument("--follow-ups", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="worklist queries per case")
    parser.add_argument("--nlp", type=int, default=0, help="also ingest N text reports through the NLP")
    parser.add_argument("--postgres", default=os.environ.get("CALCITRACK_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{Path(tmp) / 'registry.db'}", args)
    if args.only != "sqlite":
        if not args.postgres:
            print("postgres: skipped (set CALCITRACK_TEST_POSTGRES_URL or --postgres; see scripts/services.sh)")
            return
        with scratch_postgres(args.postgres) as url:
            run("postgres", url, args)


if __name__ == "__main__":
    main()
