"""``calcitrack notify``: deliver queued notices, show the queue, set clinicians' contact points.

Why a command of its own: a cron job can deliver notices more often than it sweeps (``notify deliver``
every few minutes, ``follow-up sweep`` daily), and a coordinator registers where a clinician is reached.
"""

from __future__ import annotations

from typing import Annotated

import typer

from calcitrack.cli.options import DatabaseOption, Fmt, console, print_json


def register(app: typer.Typer) -> None:
    notify_app = typer.Typer(help="Notices to responsible clinicians (e-mail, FHIR Communication).",
                             no_args_is_help=True)
    app.add_typer(notify_app, name="notify")

    @notify_app.command("deliver")
    def deliver_cmd(
        by: Annotated[str | None, typer.Option(help="who delivers (audit; default: OS user)")] = None,
        limit: Annotated[int, typer.Option(min=1, help="at most this many notices in this run")] = 200,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Send the queued notices that are due; failures are retried later with backoff."""
        from calcitrack.app.notifications import deliver_now
        from calcitrack.registry import audit
        from calcitrack.registry.db import connect

        report = deliver_now(connect(database), actor=by or audit.default_actor(),
                             source=audit.source_of("cli:notify deliver"), limit=limit)
        if fmt is Fmt.json:
            print_json(report.as_dict())
            return
        console.print(f"{report.sent} sent, {report.retrying} to retry, {report.failed} given up,"
                      f" {report.skipped} skipped, {report.deferred} deferred", markup=False)
        for error in report.errors:
            console.print(f"  {error}", markup=False)

    @notify_app.command("status")
    def status_cmd(
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Notices per status (queued, sent, failed, skipped)."""
        from calcitrack.app.notifications import queue_status
        from calcitrack.registry.db import connect, session_scope

        with session_scope(connect(database)) as session:
            counts = queue_status(session)
        if fmt is Fmt.json:
            print_json(counts)
        else:
            console.print(", ".join(f"{count} {status}" for status, count in counts.items()), markup=False)

    @notify_app.command("clinician")
    def clinician_cmd(
        name: Annotated[str | None, typer.Argument(help="name as in the follow-ups' responsible; none: list")] = None,
        email: Annotated[str | None, typer.Option(help="e-mail address for notices")] = None,
        fhir: Annotated[str | None, typer.Option(help="FHIR reference, e.g. Practitioner/123")] = None,
        by: Annotated[str | None, typer.Option(help="who makes the change (audit; default: OS user)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Set where a responsible clinician receives notices (or list the clinicians)."""
        from calcitrack.app.notifications import list_clinicians, set_clinician
        from calcitrack.registry import audit
        from calcitrack.registry.db import connect, session_scope

        with session_scope(connect(database)) as session:
            if name is None:
                rows = [c.model_dump() for c in list_clinicians(session)]
            else:
                rows = [set_clinician(session, name, email=email, fhir_reference=fhir,
                                      actor=by or audit.default_actor(),
                                      source=audit.source_of("cli:notify clinician")).model_dump()]
        if fmt is Fmt.json:
            print_json(rows)
            return
        for row in rows:
            console.print(f"{row['id']}: {row['name']} - e-mail {row['email'] or '—'},"
                          f" FHIR {row['fhir_reference'] or '—'}", markup=False)
