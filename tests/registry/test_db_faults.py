"""Faults of the database itself: a PostgreSQL restart during a run, and a full disk under SQLite.

Why: the registry holds clinical follow-ups; when its database goes away or runs out of space, callers
must get a clear message (an API 503 problem, a one-line CLI error naming the problem, exit non-zero, no
traceback), nothing may be lost or half-written, and the same work must complete once the database is
back - without duplicates.

The PostgreSQL test restarts a throwaway cluster of its own (initdb into a temporary directory, its own
port and socket), never the shared server of ``scripts/services.sh`` that other tests use concurrently.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.api.server_process import Server, prepare_database, registry_state, report_body
from tests.conftest import free_port
from tests.registry.cli_helpers import run_cli, write_jsonl
from tests.reliability import Recorder, scale

from calcitrack.app.ingest import Item, ingest_items
from calcitrack.examples import synthetic
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.db import make_engine, upgrade
from calcitrack.registry.queries import row_counts

pytestmark = pytest.mark.reliability

IN_CI = os.environ.get("CI") == "true"
DISK_MIB = scale(32, 128)
MARGIN = 256 * 1024
"""Bytes left free before the second run, so that it stores some reports and then meets the full disk."""


def _unavailable(reason: str) -> None:
    """Skip locally with the reason; in CI a fault test that cannot run is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


# --- a throwaway PostgreSQL cluster -----------------------------------------------------------------


def _pg_bindir() -> Path | None:
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(os.access(Path(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return Path(directory)
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test only; ``stop``/``start`` simulate the database going away."""

    bindir: Path
    root: Path
    port: int
    run_as: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.root / 'sock'}&port={self.port}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), *args],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._pg_ctl("-l", str(self.root / "server.log"), "-w", "-t", "60", "-o",
                     f"-p {self.port} -k {self.root / 'sock'} -c listen_addresses=''", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("PostgreSQL binaries (initdb, pg_ctl) not found: run scripts/services.sh once to install them")
    assert bindir is not None
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="calcitrack-pg-"))  # /tmp: readable by the postgres user
    (root / "sock").mkdir()
    os.chmod(root, 0o755)
    if run_as:
        for path in (root, root / "sock"):
            shutil.chown(path, "postgres")
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--no-locale"], check=True, capture_output=True, timeout=120)
    server = Cluster(bindir, root, free_port(), run_as)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Feeder:
    """One RIS feed ingesting new reports through the API, counting how each request was answered."""

    base: str
    key: str
    sent: dict[str, dict[str, object]] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)  # 503 problems while the database was away
    unexpected: list[str] = field(default_factory=list)
    details: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers={"X-API-Key": self.key}, timeout=60) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                body = report_body(f"PGR-{n}", f"PGR-P{n}", size=3 + n % 10, day=n)
                self.sent[str(body["id"])] = body
                response = http.post("/api/v1/ingest?policy=seed", json=body)
                if response.status_code == 200 and response.json()["stored"] == 1:
                    self.acknowledged.add(str(body["id"]))
                elif (response.status_code == 503
                      and response.headers["content-type"] == "application/problem+json"
                      and response.json()["type"] == "urn:calcitrack:problem:database-unavailable"):
                    self.refused.append(str(body["id"]))
                    self.details.add(response.json()["detail"])
                    time.sleep(0.05)
                else:
                    self.unexpected.append(f"HTTP {response.status_code}: {response.text[:200]}")
                    time.sleep(0.05)


def _wait(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_postgres_restart_during_ingest(cluster: Cluster, tmp_path: Path, reliability: Recorder) -> None:
    keys = prepare_database(cluster.url)
    server = Server(cluster.url, tmp_path / "server.log", workers=1, warmup=False)
    feeder = Feeder("", keys["service"])
    thread = threading.Thread(target=feeder.run)
    cli_analyses = list(synthetic.analyses(8, seed=11))
    cli_file = write_jsonl(tmp_path / "cli.jsonl", cli_analyses)
    try:
        server.start()
        feeder.base = server.base
        thread.start()
        before_acks = scale(10, 100)
        _wait(lambda: len(feeder.acknowledged) >= before_acks)
        acknowledged_before = len(feeder.acknowledged)
        cluster.stop("fast")  # terminates every session: the server's pooled connections are now dead
        down_at = time.monotonic()
        _wait(lambda: len(feeder.refused) >= 3)
        with httpx.Client(base_url=server.base, timeout=30) as http:
            ready = http.get("/ready")
        cli = run_cli("ingest", str(cli_file), "--database", cluster.url)
        cluster.start()
        outage = time.monotonic() - down_at
        with httpx.Client(base_url=server.base, headers={"X-API-Key": keys["service"]}, timeout=60) as http:
            # The very first request after the restart succeeds: pre-ping replaces the dead connections.
            first = http.post("/api/v1/ingest?policy=seed", json=report_body("PGR-FIRST", "PGR-PFIRST"))
        refused_during_outage = len(feeder.refused)
        after = len(feeder.acknowledged)
        _wait(lambda: len(feeder.acknowledged) >= after + scale(10, 100))
        feeder.stop.set()
        thread.join(timeout=120)
        cli_after = run_cli("ingest", str(cli_file), "--database", cluster.url)
        with httpx.Client(base_url=server.base, headers={"X-API-Key": keys["service"]}, timeout=60) as http:
            statuses = []
            for report_id in feeder.refused:  # the feed resubmits what was refused
                response = http.post("/api/v1/ingest?policy=seed", json=feeder.sent[report_id])
                assert response.status_code == 200, response.text
                statuses.append(response.json()["reports"][0]["status"])
    finally:
        feeder.stop.set()
        if thread.is_alive():
            thread.join(timeout=120)
        server.stop()

    assert not feeder.unexpected, feeder.unexpected[:3]
    assert ready.status_code == 503 and ready.json()["checks"]["database"] != "ok"
    assert feeder.details == {"the registry database is unavailable; try again later"}
    assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
    message = cli.stderr.strip()
    assert message.startswith("error: cannot connect to database postgresql+psycopg://postgres@/postgres"), message
    assert len(message.splitlines()) == 1
    assert first.status_code == 200 and first.json()["stored"] == 1, first.text
    assert cli_after.returncode == 0, cli_after.stderr
    versions, reports, follow_ups, half = registry_state(cluster.url)
    assert not half, half[:5]
    assert all(count == 1 for count in versions.values())
    expected = set(feeder.sent) | {"PGR-FIRST"}
    assert feeder.acknowledged <= set(versions)
    assert {r for r in versions if r.startswith("PGR-")} == expected
    engine = make_engine(cluster.url)
    with session_scope(engine) as session:
        cli_reports = len(session.scalars(select(t.Report.id).where(~t.Report.report_id.startswith("PGR-"))).all())
    engine.dispose()
    assert cli_reports == len(cli_analyses)
    reliability.row(
        area="faults",
        check="PostgreSQL restart during a run of API ingests (and a CLI ingest during the outage)",
        inputs=f"{len(expected):,} reports through the API, {len(cli_analyses)} through `calcitrack ingest`",
        load="one API feed ingesting without pause, 1 uvicorn worker, a PostgreSQL cluster of the test's own",
        faults=f"`pg_ctl stop -m fast` after {acknowledged_before} acknowledged ingests; "
               f"restarted after {outage:.1f} s",
        result=(
            f"during the outage: {refused_during_outage} API ingests answered 503 problem "
            f"'database-unavailable', /ready 503, CLI one line 'cannot connect to database ...' exit 2, no "
            f"traceback; after the restart the first request succeeded (pool pre-ping), the {len(statuses)} "
            f"refused reports were resubmitted ({statuses.count('stored')} stored, {statuses.count('unchanged')} "
            f"unchanged) and the CLI rerun completed: {reports:,} reports, {follow_ups:,} follow-ups, every "
            f"acknowledged one present, 0 duplicates, 0 half-written"
        ),
    )


# --- disk full under SQLite -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs (:data:`DISK_MIB`) mounted for this test (root only), unmounted in teardown."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        _unavailable("mounting a small tmpfs needs root and mount(8)")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        _unavailable(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(directory: Path) -> int:
    """Write a filler file until the file system refuses (ENOSPC); returns its size."""
    written = 0
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            try:
                while True:
                    written += os.write(fd, block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return written


def _checksum_of(rows: set[tuple[object, ...]]) -> str:
    return hashlib.sha256("\n".join(sorted(map(str, rows))).encode()).hexdigest()


def _checksum(db: Path) -> tuple[int, str]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        rows = {tuple(r) for r in connection.execute("SELECT report_id, version, content_hash FROM reports")}
    return len(rows), _checksum_of(rows)


def test_disk_full_on_sqlite(small_disk: Path, tmp_path: Path, reliability: Recorder) -> None:
    analyses = list(synthetic.analyses(scale(60, 300), seed=5))
    half = len(analyses) // 2
    first_file = write_jsonl(tmp_path / "first.jsonl", analyses[:half])
    all_file = write_jsonl(tmp_path / "all.jsonl", analyses)
    db = small_disk / "registry.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()

    first = run_cli("ingest", str(first_file), "--database", url)
    assert first.returncode == 0, first.stderr
    before = _checksum(db)
    filler = _fill(small_disk) - MARGIN
    os.truncate(small_disk / "filler", filler)  # room for a few reports: the disk fills up mid-run

    full = run_cli("ingest", str(all_file), "--database", url)
    message = full.stderr.strip()
    assert full.returncode == 2, (full.returncode, message)
    assert "Traceback" not in full.stderr and len(message.splitlines()) == 1, message
    assert message.startswith("error: disk full: no space left on the database's disk"), message
    # Checked once space is back (opening a WAL database needs room for its index file), before any rerun.
    (small_disk / "filler").unlink()
    with contextlib.closing(sqlite3.connect(db)) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    assert integrity == "ok"
    with contextlib.closing(sqlite3.connect(db)) as connection:
        rows = set(connection.execute("SELECT report_id, version, content_hash FROM reports").fetchall())
        earlier = {tuple(r) for r in connection.execute(
            "SELECT report_id, version, content_hash FROM reports ORDER BY id LIMIT ?", (before[0],)).fetchall()}
    assert _checksum_of(earlier) == before[1], "earlier rows changed while the disk was full"
    stored_mid_run = len(rows) - before[0]
    _, _, _, half_written = registry_state(url)
    assert not half_written, half_written[:5]
    rerun = run_cli("ingest", str(all_file), "--database", url)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{half + stored_mid_run} unchanged" in rerun.stdout, rerun.stdout

    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade(reference)
    ingest_items(reference, iter([Item(line=i, analysis=a) for i, a in enumerate(analyses, 1)]), actor="ref")
    engine = make_engine(url)
    try:
        with session_scope(engine) as session, session_scope(reference) as ref_session:
            assert row_counts(session) == row_counts(ref_session)
    finally:
        engine.dispose()
        reference.dispose()
    versions, reports, follow_ups, half_written = registry_state(url)
    assert all(count == 1 for count in versions.values()) and reports == len(analyses)
    reliability.row(
        area="faults",
        check="disk full on the SQLite path during `calcitrack ingest`",
        inputs=f"{len(analyses)} pre-analysed reports: {half} before the disk filled, then all {len(analyses)}",
        load="one `calcitrack ingest` process",
        faults=f"{DISK_MIB} MiB tmpfs filled up to its last {MARGIN // 1024} KiB before the second run, which "
               f"then filled the rest",
        result=(
            f"{stored_mid_run} reports stored whole, then exit 2 with one line '{message[7:60]}...', no "
            f"traceback; PRAGMA integrity_check ok, the {before[0]} earlier reports unchanged (SHA-256 match), "
            f"none half-written; after freeing space the rerun stored the rest ({half + stored_mid_run} "
            f"unchanged): {reports} reports, {follow_ups} follow-ups, row counts equal a reference run, "
            f"0 duplicates"
        ),
    )
