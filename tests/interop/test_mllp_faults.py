"""Faults: ``kill -9`` of ``calcitrack hl7 listen`` mid-message, restart, resend.

Why: an HL7 feed resends every message it has no ACK for. A listener killed while a message is half
received, or received but not yet answered, must not have stored a partial report, and the resent message
must be stored exactly once and answered AA.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.conftest import free_port
from tests.interop.helpers import DATA
from tests.reliability import Recorder, scale

from calcitrack.interop.hl7v2 import split_messages
from calcitrack.interop.mllp import frame, read_frame, send
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope

pytestmark = pytest.mark.reliability

GOOD = split_messages((DATA / "oru_r01.hl7").read_text(encoding="utf-8"))[0]
ROUNDS = scale(1, 10)
"""Messages each killed half-way and each killed after being fully sent (before its ACK)."""
KILL_DELAYS = (0.005, 0.03, 0.08, 0.15, 0.4)
"""Seconds between a whole frame and the SIGKILL: before, during and after the message's processing."""


def _message(n: int) -> str:
    """GOOD with its own message id, report id and patient: a new report."""
    message: str = GOOD.replace("MSG-0001", f"MSG-K{n}").replace("ACC-HL7-1", f"ACC-KILL-{n}")
    return message.replace("PX-HL7-1", f"PX-KILL-{n}")


def _msa(ack: str) -> list[str]:
    return next(s for s in ack.split("\r") if s.startswith("MSA|")).split("|")


class Listener:
    """``calcitrack hl7 listen`` as a process of its own (so that SIGKILL means a crash)."""

    def __init__(self, db_url: str, log: Path) -> None:
        self.db_url, self.log, self.port = db_url, log, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_DATABASE_URL"}
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "calcitrack", "hl7", "listen", "--port", str(self.port), "--database",
                 self.db_url], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"listener did not start: {self.log.read_text()[-1500:]}") from None
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def listener(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[Listener]:
    process = Listener(db_url, tmp_path / "listener.log")
    process.start()
    yield process
    process.stop()


def _versions(engine: Engine, report_id: str) -> tuple[int, int, int]:
    """(stored versions, findings, follow-ups) of one report id."""
    with session_scope(engine) as session:
        pks = session.scalars(select(t.Report.id).where(t.Report.report_id == report_id)).all()
        findings = session.scalar(select(func.count()).select_from(t.Finding).where(t.Finding.report_pk.in_(pks)))
        follow_ups = session.scalar(select(func.count()).select_from(t.FollowUp).join(
            t.Finding, t.FollowUp.finding_pk == t.Finding.id).where(t.Finding.report_pk.in_(pks)))
    return len(pks), findings or 0, follow_ups or 0


def test_kill_listener_mid_message_then_resend(listener: Listener, engine: Engine, reliability: Recorder) -> None:
    assert _msa(send("127.0.0.1", listener.port, _message(0), timeout=120))[1] == "AA"  # warm: NLP loaded
    reference = _versions(engine, "ACC-KILL-0")
    assert reference[0] == 1 and reference[1] >= 1 and reference[2] >= 1
    half_killed = after_send_killed = committed_before_ack = 0
    for n in range(1, ROUNDS + 1):
        # 1. The whole frame to a warm listener, and the crash before the ACK, after a delay that falls
        #    before, during or after the processing: the report is stored entirely or not at all.
        whole = _message(n + 1000)
        with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as sock:
            sock.sendall(frame(whole))
            time.sleep(KILL_DELAYS[n % len(KILL_DELAYS)])
            listener.kill()
        after_send_killed += 1
        state = _versions(engine, f"ACC-KILL-{n + 1000}")
        assert state in ((0, 0, 0), reference), state
        committed_before_ack += state[0]
        listener.start()
        # 2. Half a frame, then the crash: nothing of it may be stored.
        payload = frame(_message(n))
        with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as sock:
            sock.sendall(payload[: len(payload) // 2])
            time.sleep(0.2)
            listener.kill()
        half_killed += 1
        assert _versions(engine, f"ACC-KILL-{n}") == (0, 0, 0)
        listener.start()
        # 3. The feed resends both (it got no ACK): AA, each stored exactly once, whole.
        for message, report_id in ((_message(n), f"ACC-KILL-{n}"), (whole, f"ACC-KILL-{n + 1000}")):
            with socket.create_connection(("127.0.0.1", listener.port), timeout=120) as sock:
                sock.sendall(b"noise outside a frame is ignored" + frame(message))
                ack = read_frame(sock)
            assert _msa(ack)[1] == "AA", ack
            assert _versions(engine, report_id) == reference
    with session_scope(engine) as session:
        reports = session.scalar(select(func.count()).select_from(t.Report)) or 0
    assert reports == 1 + 2 * ROUNDS
    reliability.row(
        area="faults",
        check="kill -9 of the MLLP listener (`calcitrack hl7 listen`) mid-message, restart, resend",
        inputs=f"{2 * ROUNDS + 1} ORU^R01 messages over TCP (SQLite registry)",
        load="one HL7 feed",
        faults=f"SIGKILL {half_killed}× after half a frame, {after_send_killed}× after the whole frame "
               f"but before the ACK",
        result=(
            f"no partial report after any kill (0 rows of half-received messages; "
            f"{committed_before_ack} of {after_send_killed} fully received ones had committed whole, the others "
            f"left nothing); every resent message answered AA and stored exactly once with its findings and "
            f"follow-up ({reports} reports in all, 0 duplicates)"
        ),
    )
