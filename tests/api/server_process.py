"""A real ``calcitrack serve`` process for the server, load and fault tests: start, wait until ready, kill.

Why a process and not a TestClient: the load must go through uvicorn, its worker processes and TCP, and
the fault tests send SIGKILL to the server, which only means something for a separate process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from tests.conftest import free_port

from calcitrack.app.auth import add_user, create_key
from calcitrack.registry import tables as t
from calcitrack.registry.db import make_engine, session_scope, upgrade

LOAD_ROLES = ("service", "clinician", "coordinator")


def prepare_database(url: str, roles: tuple[str, ...] = LOAD_ROLES) -> dict[str, str]:
    """Migrate ``url`` and create one user and key per role (those of the load by default); returns the keys."""
    engine = make_engine(url)
    upgrade(engine)
    keys: dict[str, str] = {}
    with session_scope(engine) as session:
        for role in roles:
            add_user(session, role, role, actor="test", source="test")
            keys[role] = create_key(session, role, actor="test", source="test")
    engine.dispose()
    return keys


class Server:
    """``calcitrack serve`` on a free port of 127.0.0.1, its output in ``log``; always stop it in teardown."""

    def __init__(self, url: str, log: Path, *, workers: int = 1, warmup: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.url = url
        self.warmup = warmup
        self.env = env or {}  # extra settings, e.g. CALCITRACK_MAX_BODY_BYTES
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> None:
        env = {**os.environ, **self.env, "CALCITRACK_API_WARMUP": "true" if self.warmup else "false"}
        env.pop("CALCITRACK_DATABASE_URL", None)
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "calcitrack", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--database", self.url],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        ready = 0
        while ready < self.workers * 3:  # several answers in a row: every worker has finished its warm-up
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                ok = httpx.get(f"{self.base}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                ok = False
            ready = ready + 1 if ok else 0
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start within {timeout:.0f} s")
            time.sleep(0.2 if not ok else 0.05)

    def kill(self) -> None:
        """SIGKILL to the whole process group (the uvicorn supervisor and its workers), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it hangs; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def report_body(report_id: str, patient_id: str, size: int = 6, day: int = 0) -> dict[str, object]:
    """A short English report with one liver calcification: under the ``seed`` policy, one follow-up."""
    date = f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
    return {
        "id": report_id, "patient_id": patient_id, "date": date, "modality": "US", "lang": "en",
        "text": f"ABDOMINAL ULTRASOUND\nFindings: A {size} mm coarse calcification with acoustic shadowing is seen "
                f"in segment VI of the liver.\nImpression: {size} mm calcification in segment VI.",
    }


def registry_state(url: str) -> tuple[dict[str, int], int, int, list[str]]:
    """(versions per report id, reports, follow-ups, half-written reports) as stored."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            reports = session.execute(select(t.Report.report_id, t.Report.id, t.Report.n_findings)).all()
            findings = dict(session.execute(
                select(t.Finding.report_pk, func.count()).group_by(t.Finding.report_pk)).all())
            assessed = dict(session.execute(
                select(t.Finding.report_pk, func.count()).where(t.Finding.assessments.any())
                .group_by(t.Finding.report_pk)).all())
            follow_ups = dict(session.execute(
                select(t.Finding.report_pk, func.count()).join(t.FollowUp, t.FollowUp.finding_pk == t.Finding.id)
                .group_by(t.Finding.report_pk)).all())
            ingested_events = session.scalar(select(func.count()).select_from(t.AuditEvent).where(
                t.AuditEvent.entity == "report", t.AuditEvent.event == "ingested"))
    finally:
        engine.dispose()
    versions: dict[str, int] = {}
    half: list[str] = []
    for report_id, pk, n_findings in reports:
        versions[report_id] = versions.get(report_id, 0) + 1
        # One calcification, mentioned in findings and impression: every mention stored, and one lesion ->
        # one assessment (on its main mention) and one follow-up (seed policy).
        if not (n_findings == findings.get(pk, 0) >= 1 and assessed.get(pk, 0) == 1 and follow_ups.get(pk, 0) == 1):
            half.append(report_id)
    if ingested_events != len(reports):
        half.append(f"{ingested_events} 'ingested' audit events for {len(reports)} reports")
    return versions, len(reports), sum(follow_ups.values()), half
