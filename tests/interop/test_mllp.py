"""MLLP over real TCP sockets: ACKs, registry ingestion, malformed input never drops the connection."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from tests.conftest import free_port
from tests.interop.helpers import DATA

from calcitrack.interop.hl7v2 import split_messages
from calcitrack.interop.mllp import END, START, ListenerThread, MllpServer, frame, read_frame, registry_handler, send
from calcitrack.registry import queries
from calcitrack.registry.db import session_scope

GOOD, FRENCH = split_messages((DATA / "oru_r01.hl7").read_text(encoding="utf-8"))


def msa(ack: str) -> list[str]:
    return next(s for s in ack.split("\r") if s.startswith("MSA|")).split("|")


@pytest.fixture
def listener(engine: Engine) -> Iterator[int]:
    thread = ListenerThread(MllpServer(registry_handler(engine), port=0, max_bytes=20_000))
    port = thread.start()
    yield port
    thread.stop()


MALFORMED = [
    "garbage",
    "",
    "PID|1||X\rOBR|1",
    GOOD.replace("ORU^R01^ORU_R01", "ADT^A01"),
    GOOD.replace("|MSG-0001|", "||"),
    GOOD.replace("PX-HL7-1^^^HOSP^MR", ""),
    "\r".join(s for s in GOOD.split("\r") if not s.startswith("OBX")),
    GOOD.replace("20260105101500", "notadate"),
    "\r".join(s for s in GOOD.split("\r") if not s.startswith("PID")),
    "MSH|^~\\&|RIS|HOSP|||20260105||ORU^R01|M-X|P|2.5\rPID|1||P\rOBX|1|TX|||text",
]


def test_oru_is_acked_and_lands_in_the_worklist(listener: int, engine: Engine) -> None:
    ack = send("127.0.0.1", listener, GOOD)
    assert msa(ack)[1:3] == ["AA", "MSG-0001"]
    with session_scope(engine) as session:
        rows = queries.worklist(session, patient="PX-HL7-1")
    assert [r["report_id"] for r in rows] == ["ACC-HL7-1"]
    assert msa(send("127.0.0.1", listener, GOOD))[1] == "AA"  # resent: idempotent, still accepted
    with session_scope(engine) as session:
        assert len(queries.worklist(session, patient="PX-HL7-1")) == 1


def test_corrected_report_amends_the_stored_version(listener: int, engine: Engine) -> None:
    assert msa(send("127.0.0.1", listener, GOOD))[1] == "AA"
    corrected = GOOD.replace("|MSG-0001|", "|MSG-0003|").replace("14 mm", "24 mm")
    corrected = corrected.replace("||||||||||F\r", "||||||||||C\r")
    ack = send("127.0.0.1", listener, corrected)
    assert msa(ack)[1:3] == ["AA", "MSG-0003"] and "1 new" in ack
    with session_scope(engine) as session:
        versions = [(r["version"], r["current"]) for r in queries.timeline(session, "PX-HL7-1")["reports"]]
    assert sorted(versions) == [(1, False), (2, True)]


def test_ten_malformed_messages_on_one_connection_then_good_ones(listener: int, engine: Engine) -> None:
    assert len(MALFORMED) == 10
    with socket.create_connection(("127.0.0.1", listener), timeout=60) as sock:
        for raw in MALFORMED:
            sock.sendall(frame(raw))
            ack = read_frame(sock)
            assert msa(ack)[1] in ("AE", "AR"), ack
            err = [s for s in ack.split("\r") if s.startswith("ERR|")]
            assert err and "HL70357" in err[0]
        sock.sendall(b"noise outside any frame" + frame(FRENCH))  # bytes between frames are ignored
        assert msa(read_frame(sock))[1:3] == ["AA", "MSG-0002"]
        sock.sendall(START + b"MSH|^~\\&|cut short" + frame(GOOD))  # frame without end block, then a new frame
        first, second = read_frame(sock), read_frame(sock)
        assert msa(first)[1] == "AR" and "incomplete" in msa(first)[3]
        assert msa(second)[1] == "AA"
    assert msa(send("127.0.0.1", listener, GOOD))[1] == "AA"  # and new connections are served
    with session_scope(engine) as session:
        assert {r["patient_id"] for r in queries.worklist(session)} >= {"PX-HL7-1"}


def test_oversized_message_is_refused_and_the_connection_survives(listener: int) -> None:
    big = GOOD + "\rOBX|9|TX|&GDT||" + "x" * 50_000
    with socket.create_connection(("127.0.0.1", listener), timeout=60) as sock:
        sock.sendall(START + big.encode())
        ack = read_frame(sock)  # refused before the end block arrives
        assert msa(ack)[1:3] == ["AR", "MSG-0001"] and "larger than 20000" in ack
        sock.sendall(END + frame(FRENCH))
        assert msa(read_frame(sock))[1] == "AA"


def test_handler_crash_becomes_ae_and_the_listener_keeps_serving() -> None:
    calls: list[str] = []

    def handler(message: str) -> str:
        calls.append(message)
        if len(calls) == 1:
            return registry_handler_crash(message)
        return "MSH|^~\\&|X\rMSA|AA|1\r"

    def registry_handler_crash(message: str) -> str:
        from calcitrack.interop.mllp import registry_handler as make

        class Broken:
            def begin(self) -> None:
                raise RuntimeError("boom")

        return make(Broken())(message)  # type: ignore[arg-type]

    thread = ListenerThread(MllpServer(handler, port=0))
    port = thread.start()
    try:
        ack = send("127.0.0.1", port, GOOD)
        assert msa(ack)[1] == "AE" and "Traceback" not in ack and "boom" not in ack
        assert msa(send("127.0.0.1", port, GOOD))[1] == "AA"
    finally:
        thread.stop()


def test_cli_listen_subprocess(db_url: str, engine: Engine) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "calcitrack", "hl7", "listen", "--port", str(port), "--database", db_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ack = send("127.0.0.1", port, FRENCH, timeout=120)
                break
            except ConnectionRefusedError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "listener did not start"
                time.sleep(0.2)
        assert msa(ack)[1] == "AA"
        with session_scope(engine) as session:
            [report] = queries.timeline(session, "PX-HL7-2")["reports"]
        assert report["report_id"] == "ACC-HL7-2" and report["lang"] == "fr" and report["modality"] == "US"
    finally:
        process.terminate()  # SIGTERM: graceful stop
        process.wait(timeout=30)
    assert process.returncode == 0
    assert process.stderr is not None and "stopped" in process.stderr.read()


def test_cli_hl7_ingest_file(db_url: str, engine: Engine, tmp_path: object) -> None:
    from tests.interop.helpers import run_cli

    result = run_cli("hl7", "ingest", str(DATA / "oru_r01.hl7"), "--database", db_url)
    assert result.returncode == 0, result.stderr
    assert '"accepted": 2' in result.stdout
    worklist = run_cli("worklist", "--format", "json", "--database", db_url)
    assert "ACC-HL7-1" in worklist.stdout
