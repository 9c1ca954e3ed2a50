"""Faults: ``kill -9`` of ``calcitrack serve`` while clients are ingesting, then restart and resubmit.

Why: a RIS feed treats an HTTP 200 as "stored"; a server crash must never lose an acknowledged report,
leave a half-written one (a report without its findings, assessments or follow-ups), or store one twice
when the feed resubmits what was not acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tests.api.server_process import Server, prepare_database, registry_state, report_body
from tests.conftest import empty_postgres_url
from tests.reliability import Recorder, scale

pytestmark = pytest.mark.reliability

CLIENTS = scale(4, 16)
WORKERS = scale(1, 2)
KILL_AFTER = scale(30, 300)
"""Acknowledged ingests before the SIGKILL."""


@pytest.fixture(params=["sqlite", "postgres"])
def fault_url(request: pytest.FixtureRequest, tmp_path: Path, private_postgres_url: str | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faults.db'}"
    else:
        yield empty_postgres_url(private_postgres_url)


@dataclass
class Feed:
    """What the ingesting clients sent and what was acknowledged (thread-safe)."""

    acknowledged: set[str] = field(default_factory=set)
    sent: dict[str, dict[str, object]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, base: str, key: str, number: int) -> None:
        """Ingest new reports one after another until the server goes away."""
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as http:
            for n in range(1, 100_000):
                if self.stop.is_set():
                    return
                body = report_body(f"KILL-{number}-{n}", f"PK-{number}-{n}", size=3 + n % 10, day=n)
                with self.lock:
                    self.sent[str(body["id"])] = body
                try:
                    response = http.post("/api/v1/ingest?policy=seed", json=body)
                except httpx.TransportError:
                    return  # the server died: this report is not acknowledged
                with self.lock:
                    if response.status_code == 200 and response.json()["stored"] == 1:
                        self.acknowledged.add(str(body["id"]))
                    else:
                        self.unexpected.append(f"HTTP {response.status_code}")


def test_kill_server_during_ingest(fault_url: str, tmp_path: Path, reliability: Recorder) -> None:
    database = "SQLite" if fault_url.startswith("sqlite") else "PostgreSQL"
    keys = prepare_database(fault_url)
    # No warm-up: the first requests load the NLP instead (the kill test needs no fast first answer).
    server = Server(fault_url, tmp_path / "server.log", workers=WORKERS, warmup=False)
    feed = Feed()
    try:
        server.start()
        threads = [threading.Thread(target=feed.client, args=(server.base, keys["service"], i))
                   for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 300
        while len(feed.acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        acknowledged_at_kill = len(feed.acknowledged)
        server.kill()
        feed.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert acknowledged_at_kill >= KILL_AFTER, "the clients were too slow to reach the kill point"
        assert not feed.unexpected, feed.unexpected[:5]

        # After the crash, before any restart: every acknowledged report is there once, nothing half-written.
        versions, _, _, half = registry_state(fault_url)
        assert not half, half[:5]
        missing = feed.acknowledged - set(versions)
        assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
        assert all(count == 1 for count in versions.values())
        unacknowledged = set(feed.sent) - feed.acknowledged
        committed_unacknowledged = len(unacknowledged & set(versions))

        # Restart; the feed resubmits everything it sent (a feed cannot know what the crash kept).
        server.start()
        with httpx.Client(base_url=server.base, headers={"X-API-Key": keys["service"]}, timeout=60) as http:
            answers: dict[str, str] = {}
            for report_id, body in feed.sent.items():
                response = http.post("/api/v1/ingest?policy=seed", json=body)
                assert response.status_code == 200, response.text
                answers[report_id] = response.json()["reports"][0]["status"]
    finally:
        server.stop()
    assert all(answers[r] == "unchanged" for r in feed.acknowledged)
    assert all(answers[r] == ("unchanged" if r in versions else "stored") for r in unacknowledged)
    versions, reports, follow_ups, half = registry_state(fault_url)
    assert not half, half[:5]
    assert set(versions) == set(feed.sent) and reports == len(feed.sent) == follow_ups
    reliability.row(
        area="faults",
        check=f"kill -9 of `calcitrack serve` during ingest, restart, resubmit ({database})",
        inputs=f"{len(feed.sent):,} distinct reports sent by {CLIENTS} concurrent clients, then all resubmitted",
        load=f"{CLIENTS} clients ingesting without pause, {WORKERS} uvicorn worker(s), {database}",
        faults=f"SIGKILL of the server's process group after {acknowledged_at_kill:,} acknowledged ingests "
               f"({len(unacknowledged)} requests unanswered)",
        result=(
            f"all {acknowledged_at_kill:,} acknowledged reports present once after the crash, none half-written; "
            f"{committed_unacknowledged} of the {len(unacknowledged)} unanswered ones had committed; after restart "
            f"the resubmission answered 'unchanged' for every stored report and stored the rest: "
            f"{reports:,} reports, {follow_ups:,} follow-ups, 0 duplicates"
        ),
    )
