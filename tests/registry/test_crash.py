"""kill -9 during an ingest leaves no half-written report, and a rerun completes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select
from tests.registry.cli_helpers import run_cli, write_jsonl

from calcitrack.app.ingest import Item, ingest_items
from calcitrack.examples import synthetic
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.db import make_engine, upgrade
from calcitrack.registry.queries import row_counts


def _report_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(t.Report)) or 0


def _assert_consistent(engine: Engine) -> None:
    with session_scope(engine) as session:
        reports = session.scalars(select(t.Report)).all()
        for report in reports:
            assert len(report.findings) == report.n_findings, report.report_id
            assert all(f.assessments for f in report.findings if not f.negated), report.report_id
        ingested = session.scalar(
            select(func.count()).select_from(t.AuditEvent).where(t.AuditEvent.entity == "report")
        )
        assert ingested == len(reports)
        follow_up_events = session.scalar(
            select(func.count()).select_from(t.AuditEvent).where(t.AuditEvent.event == "created")
        )
        assert follow_up_events == session.scalar(select(func.count()).select_from(t.FollowUp))


def test_kill_during_ingest_then_rerun(db_url: str, engine: Engine, tmp_path: Path) -> None:
    analyses = list(synthetic.analyses(500, seed=3))
    big = write_jsonl(tmp_path / "big.jsonl", analyses)

    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade(reference)
    ingest_items(reference, iter([Item(line=i, analysis=a) for i, a in enumerate(analyses, 1)]), actor="ref")

    env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "calcitrack", "ingest", str(big), "--database", db_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    deadline = time.monotonic() + 120
    while _report_count(engine) < 40 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the ingest finished before it could be killed: make the file bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    partial = _report_count(engine)
    assert 40 <= partial < len(analyses)
    _assert_consistent(engine)

    rerun = run_cli("ingest", str(big), "--database", db_url)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{partial} unchanged" in rerun.stdout
    _assert_consistent(engine)
    with session_scope(engine) as session, session_scope(reference) as ref_session:
        assert row_counts(session) == row_counts(ref_session)
