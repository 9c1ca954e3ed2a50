"""Load: concurrent API clients (Locust) against a real ``calcitrack serve``, on SQLite and PostgreSQL.

Why: calcitrack drives clinical follow-up, so under load it must not fail a request or lose a write.
The test runs ``benchmarks/load/locustfile.py`` headless (the same file a maintainer runs by hand)
against a fresh, migrated database, then requires

* 0 errors: every request answered 2xx with the expected content (the mix has no expected refusal);
* every acknowledged write present afterwards, exactly: the reports (count and SHA-256 over sorted
  report id + content hash), their follow-ups (count and ids) and the coordinators' status changes
  (count and SHA-256 over the audit events), and no report stored twice or half-written.

Scale: 20 clients for 15 s per database in the quick run, 200 clients for 300 s with
``CALCITRACK_RELIABILITY=full`` (issue 11); ``CALCITRACK_LOAD_CLIENTS`` / ``CALCITRACK_LOAD_SECONDS`` override
both (to try a size by hand).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.api.server_process import Server, prepare_database
from tests.conftest import empty_postgres_url
from tests.reliability import FULL, Recorder, scale

from calcitrack.models import Report
from calcitrack.registry import tables as t
from calcitrack.registry.db import make_engine, session_scope
from calcitrack.registry.store import content_hash

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
CLIENTS = int(os.environ.get("CALCITRACK_LOAD_CLIENTS") or scale(20, 200))
SECONDS = int(os.environ.get("CALCITRACK_LOAD_SECONDS") or scale(15, 300))
WORKERS = 2


@dataclass
class LoadStats:
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    by_name: dict[str, int]
    failure_lines: list[str]


def _locust(host: str, keys_file: Path, journal: Path, prefix: Path, log: Path) -> subprocess.CompletedProcess[str]:
    locust = Path(sys.executable).with_name("locust")
    env = {**os.environ, "CALCITRACK_LOAD_KEYS": str(keys_file), "CALCITRACK_LOAD_JOURNAL": str(journal)}
    with log.open("w") as out:
        return subprocess.run(
            [str(locust), "-f", str(LOCUSTFILE), "--headless", "-u", str(CLIENTS), "-r", str(max(CLIENTS // 5, 1)),
             "-t", f"{SECONDS}s", "--stop-timeout", "120", "--host", host, "--csv", str(prefix), "--only-summary",
             "--loglevel", "WARNING"],
            stdout=out, stderr=subprocess.STDOUT, env=env, text=True, timeout=SECONDS + 600,
        )


def _stats(prefix: Path) -> LoadStats:
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as stats_file:
        rows = list(csv.DictReader(stats_file))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    with Path(f"{prefix}_failures.csv").open(encoding="utf-8") as failures_file:
        failures = list(csv.DictReader(failures_file))
    return LoadStats(
        requests=int(total["Request Count"]), failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]), p50=float(total["50%"]), p95=float(total["95%"]), p99=float(total["99%"]),
        by_name={r["Name"]: int(r["Request Count"]) for r in rows if r["Name"] != "Aggregated"},
        failure_lines=[f"{r['Occurrences']}x {r['Name']}: {r['Error'][:200]}" for r in failures],
    )


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


@dataclass
class Expected:
    """What the clients were told: acknowledged reports, follow-ups created, status changes applied."""

    reports: dict[str, str]  # report id -> content hash
    follow_ups: set[int]
    status_events: list[str]
    done_by_coordinator: set[int]
    duplicates: int
    sent: set[str]  # ids of every report sent, answered or not
    unanswered_ingests: int  # ingest requests without an answer when the clients stopped
    sent_status: set[int]  # follow-ups whose status a client tried to change
    unanswered_status: int


def _expected(journal: Path) -> Expected:
    reports: dict[str, str] = {}
    follow_ups: set[int] = set()
    events: list[str] = []
    done: set[int] = set()
    duplicates = 0
    sent: set[str] = set()
    sent_status: set[int] = set()
    ingest_sends = ingest_answers = status_sends = status_answers = 0
    for line in journal.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["kind"] == "sent":
            sent.add(entry["id"])
            ingest_sends += 1
        elif entry["kind"] == "sent-status":
            sent_status.add(entry["follow_up_id"])
            status_sends += 1
        elif entry["kind"] == "ingest":
            ingest_answers += 1
            body, result = entry["body"], entry["result"]
            report = Report(id=body["id"], patient_id=body["patient_id"], date=dt.date.fromisoformat(body["date"]),
                            modality=body["modality"], lang=body["lang"], text=body["text"])
            digest = content_hash(report)
            assert reports.setdefault(body["id"], digest) == digest
            follow_ups.update(result["follow_ups_created"])
            duplicates += result["status"] == "unchanged"
        elif (status_answers := status_answers + 1) and entry["previous"] != entry["status"]:
            # setting the same status again changes nothing
            events.append(f"{entry['follow_up_id']}\t{entry['previous']}\t{entry['status']}")
            if entry["status"] == "done":
                done.add(entry["follow_up_id"])
    return Expected(reports, follow_ups, events, done, duplicates, sent, ingest_sends - ingest_answers,
                    sent_status, status_sends - status_answers)


@dataclass
class Stored:
    reports: dict[str, str]
    versions: int
    follow_ups: dict[int, str]
    follow_up_reports: dict[int, str]  # follow-up -> the id of the report that created it
    status_events: list[str]
    half_written: list[str]


def _stored(engine: Engine) -> Stored:
    with session_scope(engine) as session:
        rows = session.execute(select(t.Report.report_id, t.Report.content_hash, t.Report.version, t.Report.id,
                                      t.Report.n_findings)).all()
        findings = dict(session.execute(select(t.Finding.report_pk, func.count()).group_by(t.Finding.report_pk)).all())
        assessed = select(t.Assessment.id).where(t.Assessment.lesion_pk == t.Lesion.id).exists()
        unassessed = set(session.scalars(  # a current lesion without its assessment is half written
            select(t.Lesion.report_pk).where(~t.Lesion.negated, ~t.Lesion.historical, ~assessed)
        ).all())
        follow_ups = dict(session.execute(select(t.FollowUp.id, t.FollowUp.status)).all())
        follow_up_reports = dict(session.execute(
            select(t.FollowUp.id, t.Report.report_id).join(t.Finding, t.FollowUp.finding_pk == t.Finding.id)
            .join(t.Report, t.Finding.report_pk == t.Report.id)).all())
        orphans = session.scalar(select(func.count()).select_from(t.FollowUp).where(
            ~t.FollowUp.finding_pk.in_(select(t.Finding.id))))
        events = session.execute(
            select(t.AuditEvent.entity_pk, t.AuditEvent.old_value, t.AuditEvent.new_value).where(
                t.AuditEvent.entity == "follow_up", t.AuditEvent.event == "status",
                t.AuditEvent.actor == "coordinator")
        ).all()
    half = [r.report_id for r in rows if findings.get(r.id, 0) != r.n_findings or r.id in unassessed]
    if orphans:
        half.append(f"{orphans} follow-up(s) without a finding")
    return Stored(
        reports={r.report_id: r.content_hash for r in rows}, versions=len(rows), follow_ups=follow_ups,
        follow_up_reports=follow_up_reports, status_events=[f"{pk}\t{old}\t{new}" for pk, old, new in events],
        half_written=half,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def load_url(request: pytest.FixtureRequest, tmp_path: Path, private_postgres_url: str | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'load.db'}"
    else:
        yield empty_postgres_url(private_postgres_url)


def test_load(load_url: str, tmp_path: Path, reliability: Recorder) -> None:
    database = "SQLite" if load_url.startswith("sqlite") else "PostgreSQL"
    keys = prepare_database(load_url)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(keys), encoding="utf-8")
    journal = tmp_path / "journal.jsonl"
    server = Server(load_url, tmp_path / "server.log", workers=WORKERS)
    server.start()
    try:
        run = _locust(server.base, keys_file, journal, tmp_path / "load", tmp_path / "locust.log")
        alive = server.process is not None and server.process.poll() is None
    finally:
        server.stop()
    output = (tmp_path / "locust.log").read_text()
    stats = _stats(tmp_path / "load")
    assert alive, f"the server died under load: {(tmp_path / 'server.log').read_text()[-2000:]}"
    assert stats.failures == 0 and run.returncode == 0, (stats.failure_lines, output[-2000:])
    assert stats.requests > 0 and {"analyze", "ingest", "worklist", "status change", "timeline"} <= set(stats.by_name)

    expected = _expected(journal)
    engine = make_engine(load_url)
    try:
        stored = _stored(engine)
    finally:
        engine.dispose()
    assert not stored.half_written, stored.half_written[:10]
    assert stored.versions == len(stored.reports), "a report was stored twice"
    # Every acknowledged write is stored; anything stored beyond them was sent and still unanswered when the
    # clients stopped (the server may commit a write whose answer never reaches a stopped client).
    missing = sorted(set(expected.reports) - set(stored.reports))
    in_flight = set(stored.reports) - set(expected.reports)
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
    assert in_flight <= expected.sent, f"stored but never sent: {sorted(in_flight - expected.sent)[:5]}"
    assert len(in_flight) <= expected.unanswered_ingests, (in_flight, expected.unanswered_ingests)
    assert expected.follow_ups <= set(stored.follow_ups)
    extra_follow_ups = set(stored.follow_ups) - expected.follow_ups
    assert all(stored.follow_up_reports.get(pk) in in_flight for pk in extra_follow_ups), extra_follow_ups
    stored_events, expected_events = Counter(stored.status_events), Counter(expected.status_events)
    assert not expected_events - stored_events, f"acknowledged status changes lost: {expected_events - stored_events}"
    extra_events = list((stored_events - expected_events).elements())
    assert len(extra_events) <= expected.unanswered_status, (extra_events, expected.unanswered_status)
    assert all(int(event.split("\t")[0]) in expected.sent_status for event in extra_events), extra_events
    assert all(stored.follow_ups[pk] == "done" for pk in expected.done_by_coordinator)

    report_sum = _digest([f"{rid}\t{stored.reports[rid]}" for rid in expected.reports])
    assert report_sum == _digest([f"{rid}\t{digest}" for rid, digest in expected.reports.items()])
    events_sum = _digest(list((stored_events & expected_events).elements()))
    assert events_sum == _digest(expected.status_events)
    writes = len(expected.reports) + len(expected.status_events)
    mix = ", ".join(f"{name} {count:,}" for name, count in sorted(stats.by_name.items()))
    reliability.row(
        area="load",
        check=f"API under concurrent clients (Locust), {database}",
        inputs=f"{stats.requests:,} requests: {mix}",
        load=f"{CLIENTS} clients × {SECONDS} s, {database}, {WORKERS} uvicorn workers"
             + ("" if FULL else " (quick run)"),
        faults="-",
        result=(
            f"0 errors of {stats.requests:,} requests; {stats.rps:.0f} requests/s; p50 {stats.p50:.0f} ms, "
            f"p95 {stats.p95:.0f} ms, p99 {stats.p99:.0f} ms; {writes:,} acknowledged writes "
            f"({len(expected.reports):,} reports, {len(expected.follow_ups):,} follow-ups created, "
            f"{len(expected.status_events):,} status changes; {expected.duplicates:,} duplicate re-submissions "
            f"answered unchanged) all present: counts and SHA-256 checksums match (reports "
            f"{report_sum[:12]}, status events {events_sum[:12]}), no report stored twice or half-written; "
            f"{len(in_flight) + len(extra_events)} write(s) in flight when the clients stopped were stored without "
            f"their answer arriving (sent, so allowed)"
        ),
    )
