"""Locust load for ``calcitrack serve``: analyse, ingest, worklist, timeline and follow-up status changes.

Why a locustfile of its own (not inside the test): a maintainer runs the same load by hand against any
server, and ``tests/api/test_load.py`` runs it headless against a fresh server and then checks the
registry against the journal this file writes.

Each simulated client owns its patients (ids ``LOAD-<run>-<client>-<n>``), so it knows which of its
follow-ups are open and every request it makes should succeed: **any non-2xx answer is an error**, there
is no expected business refusal in this mix. Duplicate re-submissions of already acknowledged reports
must come back ``unchanged`` (idempotent), and a report sent twice at the same moment (a feed retrying
a request that is still being processed) must end up stored exactly once.

Every acknowledged write (2xx) is appended to the journal (``CALCITRACK_LOAD_JOURNAL``, JSONL, one line
per write: what was sent and what the server said), so that the registry can be compared with what the
clients were told afterwards.

Configuration (environment):

* ``CALCITRACK_LOAD_KEYS``: a JSON file ``{"service": "ctk_...", "clinician": ..., "coordinator": ...}``
  (keys from ``calcitrack keys create``; users with these roles).
* ``CALCITRACK_LOAD_JOURNAL``: where to append acknowledged writes (optional).
* ``CALCITRACK_LOAD_WAIT``: think time between a client's requests, ``min,max`` seconds (default 0.2,1.0).

By hand (a migrated database, three users with roles service, clinician and coordinator and a key each)::

    calcitrack serve --workers 2 --port 8000 &
    CALCITRACK_LOAD_KEYS=keys.json locust -f benchmarks/load/locustfile.py --headless \\
        -u 200 -r 20 -t 5m --host http://127.0.0.1:8000 --csv /tmp/load
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import threading
import uuid
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import FastHttpSession

ENV_KEYS = "CALCITRACK_LOAD_KEYS"
ENV_JOURNAL = "CALCITRACK_LOAD_JOURNAL"
ENV_WAIT = "CALCITRACK_LOAD_WAIT"

RUN = uuid.uuid4().hex[:8]
"""Distinguishes this run's report and patient ids from any earlier run against the same database."""

_SEGMENTS = ("segment VI", "segment VII", "segment II", "the right lobe", "the left lobe")
_PATTERNS = ("coarse", "punctate", "rim")
_FR_SEGMENTS = ("segment VI", "segment VII", "lobe droit")


def _wait_bounds() -> tuple[float, float]:
    raw = os.environ.get(ENV_WAIT, "0.2,1.0")
    low, high = (float(part) for part in raw.split(","))
    return low, high


def _keys() -> dict[str, str]:
    path = os.environ.get(ENV_KEYS)
    if not path:
        raise SystemExit(f"{ENV_KEYS}: set it to a JSON file of API keys by role (service, clinician, coordinator)")
    keys: dict[str, str] = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = {"service", "clinician", "coordinator"} - set(keys)
    if missing:
        raise SystemExit(f"{ENV_KEYS}: no key for role(s) {', '.join(sorted(missing))}")
    return keys


class Journal:
    """Acknowledged writes, one JSON line each, flushed at once (a killed run keeps what it had)."""

    def __init__(self, path: str | None) -> None:
        self._lock = threading.Lock()
        self._file = Path(path).open("a", encoding="utf-8") if path else None  # noqa: SIM115 - process-long

    def write(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            return
        with self._lock:
            self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._file.flush()


JOURNAL = Journal(os.environ.get(ENV_JOURNAL))
_client_numbers = itertools.count(1)


def _detail(response: Any) -> str:
    """The problem document's ``detail`` (names the field or the reason; never report text)."""
    if not response.status_code:  # no HTTP answer at all: say what the connection did
        return repr(getattr(response, "error", None))[:200]
    try:
        return str(response.json().get("detail", ""))[:200]
    except Exception:  # not JSON: the status code says enough
        return ""


def report_text(lang: str, size: int, where: str, pattern: str) -> str:
    """A short report with one liver calcification (the ``seed`` policy opens a surveillance follow-up)."""
    if lang == "fr":
        return (
            "ÉCHOGRAPHIE ABDOMINALE\nRésultats : calcification hépatique de "
            f"{size} mm du {where}, avec cône d'ombre.\nConclusion : calcification de {size} mm du {where}."
        )
    return (
        f"ABDOMINAL ULTRASOUND\nFindings: A {size} mm {pattern} calcification with acoustic shadowing is seen "
        f"in {where} of the liver. No biliary dilatation.\nImpression: {size} mm calcification in {where}."
    )


class CalcitrackClient(FastHttpUser):
    """One API client: a RIS feed, a clinician and a coordinator at once, working on its own patients."""

    wait_time = between(*_wait_bounds())
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        keys = _keys()
        self.headers = {role: {"X-API-Key": key} for role, key in keys.items()}
        self.number = next(_client_numbers)
        self.patients: list[str] = []
        self.acknowledged: list[dict[str, Any]] = []  # bodies of stored reports (for duplicates)
        self.open_follow_ups: set[int] = set()
        self.reports_sent = 0
        self.rng = random.Random(f"{RUN}-{self.number}")

    # -- helpers -------------------------------------------------------------------------------------

    def _new_report(self) -> dict[str, Any]:
        """A fresh report: a new patient one time in three, else a later report of one of ours."""
        if not self.patients or self.rng.random() < 0.34:
            self.patients.append(f"LOAD-{RUN}-{self.number}-{len(self.patients) + 1}")
            patient = self.patients[-1]
        else:
            patient = self.rng.choice(self.patients)
        self.reports_sent += 1
        lang = "fr" if self.rng.random() < 0.25 else "en"
        where = self.rng.choice(_FR_SEGMENTS if lang == "fr" else _SEGMENTS)
        date = dt.date(2020, 1, 1) + dt.timedelta(days=30 * self.reports_sent + self.rng.randrange(20))
        return {
            "id": f"LOAD-{RUN}-{self.number}-R{self.reports_sent}",
            "patient_id": patient,
            "date": date.isoformat(),
            "modality": "US",
            "lang": lang,
            "text": report_text(lang, self.rng.randrange(3, 15), where, self.rng.choice(_PATTERNS)),
        }

    def _ingest(self, body: dict[str, Any], name: str, client: FastHttpSession | None = None) -> dict[str, Any] | None:
        """POST one report; on 2xx journal it and track its follow-ups; returns the report's result.

        The intent is journalled before sending: a request still in flight when the run stops may be stored
        without its answer ever arriving, and the check then knows it was sent, not invented.
        """
        JOURNAL.write({"kind": "sent", "id": body["id"]})
        with (client or self.client).post("/api/v1/ingest?policy=seed", json=body, headers=self.headers["service"],
                                          name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"ingest: HTTP {response.status_code}: {_detail(response)}")
                return None
            data = response.json()
            if data.get("errors") or len(data.get("reports", [])) != 1:
                response.failure("ingest: the report was not stored")
                return None
            result: dict[str, Any] = data["reports"][0]
            JOURNAL.write({"kind": "ingest", "body": body, "result": result})
            self.open_follow_ups.difference_update(result["follow_ups_closed"])
            self.open_follow_ups.update(result["follow_ups_created"])
            return result

    # -- tasks ---------------------------------------------------------------------------------------

    @task(3)
    def analyze(self) -> None:
        body = self._new_report()
        self.reports_sent -= 1  # analysed only, not stored: its id is free for the next ingest
        with self.client.post("/api/v1/analyze", json={"text": body["text"], "lang": body["lang"]},
                              headers=self.headers["clinician"], name="analyze", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"analyze: HTTP {response.status_code}")
            elif not response.json().get("findings"):
                response.failure("analyze: no finding read")

    @task(4)
    def ingest_new(self) -> None:
        body = self._new_report()
        result = self._ingest(body, "ingest")
        if result is not None:
            if result["status"] != "stored":
                self._fail_event("ingest", f"a new report came back {result['status']}")
            self.acknowledged.append(body)

    @task(1)
    def ingest_duplicate(self) -> None:
        """Re-send an acknowledged report: idempotent, ``unchanged``, no new row."""
        if not self.acknowledged:
            return
        result = self._ingest(self.rng.choice(self.acknowledged), "ingest (duplicate)")
        if result is not None and result["status"] != "unchanged":
            self._fail_event("ingest (duplicate)", f"a re-sent report came back {result['status']}")

    @task(1)
    def ingest_twice_at_once(self) -> None:
        """The same new report twice in parallel (a retry racing the original): stored once, both 2xx."""
        body = self._new_report()
        # The twin goes over a new connection: a second pooled connection would sit idle between pairs for
        # longer than the server's keep-alive (uvicorn: 5 s) and race its closing - a client artefact.
        twin = FastHttpSession(self.host, self.environment.events.request, self, concurrency=1,
                               network_timeout=self.network_timeout, connection_timeout=self.connection_timeout)
        results = [gevent.spawn(self._ingest, body, "ingest (concurrent pair)", client)
                   for client in (self.client, twin)]
        gevent.joinall(results)
        statuses = sorted(g.value["status"] for g in results if g.value is not None)
        if len(statuses) == 2:
            if statuses != ["stored", "unchanged"]:
                self._fail_event("ingest (concurrent pair)", f"expected stored + unchanged, got {statuses}")
            self.acknowledged.append(body)

    @task(2)
    def worklist(self) -> None:
        with self.client.get("/api/v1/worklist?limit=50", headers=self.headers["coordinator"], name="worklist",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"worklist: HTTP {response.status_code}")

    @task(1)
    def timeline(self) -> None:
        if not self.patients:
            return
        patient = self.rng.choice(self.patients)
        with self.client.get(f"/api/v1/patients/{patient}/timeline", headers=self.headers["clinician"],
                             name="timeline", catch_response=True) as response:
            # A patient only exists once one of its reports was acknowledged.
            known = any(b["patient_id"] == patient for b in self.acknowledged)
            if response.status_code == 404 and not known:
                response.success()
            elif response.status_code != 200:
                response.failure(f"timeline: HTTP {response.status_code}")

    @task(2)
    def change_status(self) -> None:
        """Move one of our open follow-ups: notified/scheduled (stays open) or, one time in five, done."""
        if not self.open_follow_ups:
            return
        follow_up = self.rng.choice(sorted(self.open_follow_ups))
        status = "done" if self.rng.random() < 0.2 else self.rng.choice(("notified", "scheduled"))
        JOURNAL.write({"kind": "sent-status", "follow_up_id": follow_up})
        with self.client.post(f"/api/v1/follow-ups/{follow_up}/status", json={"status": status},
                              headers=self.headers["coordinator"], name="status change",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status change: HTTP {response.status_code}")
                return
            data = response.json()
            JOURNAL.write({"kind": "status", "follow_up_id": follow_up, "previous": data["previous_status"],
                           "status": data["status"]})
            if status == "done":
                self.open_follow_ups.discard(follow_up)

    def _fail_event(self, name: str, message: str) -> None:
        """Count a semantic failure (a 2xx with the wrong content) as an error in Locust's statistics."""
        events.request.fire(request_type="CHECK", name=name, response_time=0, response_length=0,
                            exception=AssertionError(message), context={})
