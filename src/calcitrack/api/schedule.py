"""The reminder ladder on a schedule while ``calcitrack serve`` runs (a task of the app's lifespan).

Why in the server: a follow-up that nobody sweeps is never escalated and its clinician never told;
before, nothing ran ``follow-up sweep`` unless a person did. Overdue itself needs no sweep (every read
judges it, :func:`calcitrack.registry.queries.overdue`); the schedule records the ladder's steps
(marked overdue, escalated) and raises the notices they call for.

Why safe with ``serve --workers N``: every worker runs its own schedule, and the run
(:func:`calcitrack.app.follow_ups.run_sweep`) changes each follow-up by compare-and-set in the database,
so two workers (or a worker and a cron job) never mark or escalate a follow-up twice; the loser skips it.
Switch it off with ``CALCITRACK_SERVE_SWEEP=false`` when a cron job runs the sweep instead.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from sqlalchemy import Engine

from calcitrack.api.logging import safe_exception_fields
from calcitrack.app.follow_ups import run_sweep

log = logging.getLogger("calcitrack.api")

ACTOR = "calcitrack-serve"
"""The audit actor of scheduled runs (the trail tells them from a person's or a cron job's)."""


def sweep_once(engine: Engine) -> None:
    """One scheduled run; a failure is logged (type only, never patient data) and the schedule goes on."""
    try:
        run = run_sweep(engine, actor=ACTOR, source=f"serve:sweep@{socket.gethostname()}")
    except Exception as exc:  # a database outage must not kill the schedule or the server
        log.warning("scheduled sweep failed", extra={"event": "sweep_failed", **safe_exception_fields(exc)})
        return
    # counts only: the log never names a patient or a follow-up
    log.info("scheduled sweep: %d newly overdue, %d escalated", len(run.ladder.overdue), len(run.ladder.escalated),
             extra={"event": "sweep", "count": len(run.ladder.overdue) + len(run.ladder.escalated)})


async def sweep_forever(engine: Engine, interval_seconds: float) -> None:
    """Run the ladder now, then every ``interval_seconds``, in a worker thread (the event loop stays free)."""
    while True:
        await asyncio.to_thread(sweep_once, engine)
        await asyncio.sleep(interval_seconds)
