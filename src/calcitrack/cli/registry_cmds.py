"""Registry commands: ``db upgrade``, ``ingest``, ``worklist``, ``timeline``, ``follow-up``, ``metrics``, ``demo``.

Why here and not in the registry package: parsing flags and formatting tables is the face's job; the
registry functions stay usable from Python. Every command takes ``--database URL`` (else
``CALCITRACK_DATABASE_URL``, else the SQLite file under the user data directory).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from calcitrack.cli.options import DatabaseOption, Fmt, console, err_console, print_json
from calcitrack.errors import InputError

if TYPE_CHECKING:
    from calcitrack.app.ingest import IngestSummary

# The registry (SQLAlchemy, Alembic) is imported inside the commands: importing it costs seconds that
# every other calcitrack command would pay at start-up otherwise.




def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _cli_reader(by: str | None) -> Any:
    """The reader of a CLI read: ``--by`` or the OS user, role ``cli``, source ``cli@<host>`` (audit)."""
    import socket

    from calcitrack.app.access import Reader
    from calcitrack.app.auth import Principal
    from calcitrack.registry import audit

    return Reader(Principal(name=by or audit.default_actor(), role="cli", key_prefix=""), channel="cli",
                  client=socket.gethostname())


def _short(text: str, limit: int = 70) -> str:
    """The first recommendation, cut to fit a table cell (the JSON output keeps the whole text)."""
    first = text.split("; ")[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _told(notices: list[dict[str, Any]]) -> str:
    """Who was told what: ``overdue email sent 2026-12-07`` per notice, one per line."""
    return "\n".join(
        f"{n['kind']} {n['channel']} {n['status']}" + (f" {n['sent_at'][:10]}" if n["sent_at"] else "")
        for n in notices
    ) or "—"


def print_worklist(rows: list[dict[str, Any]], title: str = "Follow-up worklist") -> None:
    """The worklist as a Rich table (escalated rows flagged)."""
    table = Table(title=title, show_lines=False)
    for column in ("id", "patient", "exam date", "finding", "action", "status", "due", "what", "responsible", "told"):
        table.add_column(column, overflow="fold")
    styles = {"urgent": "bold red", "workup": "yellow", "surveillance": "cyan"}
    for row in rows:
        status = row["status"]
        if row.get("stored_status") not in (None, row["status"], "pending"):  # e.g. overdue (scheduled)
            status += f" ({row['stored_status']})"
        status += " ⚑ " + row["escalation_role"] if row["escalated"] else ""
        if row.get("exam_received_report_id"):
            status += f" (exam received, does not fulfil: {row.get('exam_received_modality') or '?'})"
        size = f" {row['size_mm']:g} mm" if row["size_mm"] else ""
        table.add_row(
            str(row["follow_up_id"]), row["patient_id"], row.get("exam_date") or "—",
            f"{row['organ']} {row['site'] or ''}{size}".strip(),
            f"[{styles.get(row['action'], '')}]{row['action']}[/]", status, row["due_date"], _short(row["what"]),
            row["responsible"] or "—", _told(row.get("notices") or []),
        )
    # a pipe or a CI log is not 80 columns wide: give the table room instead of folding every cell
    out = console if console.is_terminal else Console(width=160, highlight=False)
    out.print(table)
    if not rows:
        out.print("[dim]no follow-up matches[/dim]")


def _summary_line(summary: IngestSummary) -> str:
    total = summary.stored + summary.amended + summary.unchanged
    return (
        f"{total} report(s): {summary.stored} stored, {summary.amended} amended, {summary.unchanged} unchanged;"
        f" {summary.follow_ups_created} follow-up(s) created; {len(summary.errors)} error(s)"
    )


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Registry database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade_cmd(
        database: DatabaseOption = None,
        create: Annotated[bool, typer.Option(
            "--create", help="create the missing parent directories of a SQLite database file")] = False,
    ) -> None:
        """Create the registry database or migrate it to the current schema."""
        from calcitrack.cli.options import missing_sqlite_directory
        from calcitrack.registry.db import default_url, make_engine, resolve_url, safe_url, upgrade

        url = resolve_url(database)
        missing = None if create or url == resolve_url(default_url()) else missing_sqlite_directory(url)
        if missing is not None:  # a mistyped path must not silently become a new, empty registry
            raise InputError(f"{missing}: no such directory for the SQLite database {safe_url(url)}; check the "
                             f"path, or pass --create to create it")
        engine = make_engine(database)
        before, after = upgrade(engine)
        where = safe_url(resolve_url(database))
        if before == after:
            console.print(f"database {where} is up to date (revision {after})", markup=False)
        else:
            console.print(f"database {where}: {before or 'empty'} -> {after}", markup=False)

    @app.command("ingest")
    def ingest_cmd(
        source: Annotated[str, typer.Argument(help="FILE.jsonl, FILE.txt (one report) or - for JSONL on stdin")],
        patient: Annotated[str | None, typer.Option(help="pseudonymous patient id of a .txt report")] = None,
        date: Annotated[str | None, typer.Option(help="date of a .txt report (YYYY-MM-DD)")] = None,
        modality: Annotated[str | None, typer.Option(help="modality of a .txt report: US, CT, MR, XR")] = None,
        lang: Annotated[str | None, typer.Option(help="language of a .txt report: en or fr")] = None,
        amend: Annotated[bool, typer.Option("--amend", help="a changed report becomes a new version")] = False,
        policy: Annotated[str | None, typer.Option(help="standard or seed (default: CALCITRACK_POLICY)")] = None,
        responsible: Annotated[str | None, typer.Option(help="responsible clinician of new follow-ups")] = None,
        escalation_role: Annotated[
            str, typer.Option(help="who overdue follow-ups escalate to")
        ] = "results-management coordinator",
        by: Annotated[str | None, typer.Option(help="who ingests (audit; default: OS user)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Analyse reports and store them with their findings, assessments and follow-ups."""
        from calcitrack.app.ingest import ingest_items, read_items
        from calcitrack.registry import audit
        from calcitrack.registry.db import connect

        engine = connect(database)
        items = read_items(
            source, patient=patient, lang=lang, date=_date(date, "--date"),
            modality=modality.upper() if modality else None,
        )
        summary = ingest_items(
            engine, items, policy=policy, amend=amend, actor=by or audit.default_actor(),
            source=audit.source_of("cli:ingest"), responsible=responsible, escalation_role=escalation_role,
            on_error=lambda message: err_console.print(f"error: {message}", markup=False),
        )
        if fmt is Fmt.json:
            print_json(
                {"stored": summary.stored, "amended": summary.amended, "unchanged": summary.unchanged,
                 "follow_ups_created": summary.follow_ups_created, "errors": summary.errors,
                 "reports": [r.__dict__ for r in summary.results]}
            )
        else:
            console.print(_summary_line(summary), markup=False)
        if summary.errors:
            raise typer.Exit(2)

    @app.command("worklist")
    def worklist_cmd(
        status: Annotated[list[str] | None, typer.Option(help="status to show (repeatable; default: open)")] = None,
        due_before: Annotated[str | None, typer.Option(help="only follow-ups due before this date")] = None,
        patient: Annotated[str | None, typer.Option(help="only this patient")] = None,
        limit: Annotated[int, typer.Option(help="at most this many rows")] = 500,
        as_of: Annotated[str | None, typer.Option(help="judge 'overdue' as of this date (default today)")] = None,
        by: Annotated[str | None, typer.Option(help="who reads (audit; default: OS user)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Follow-ups to act on, earliest due first; overdue ones show as "overdue" (judged now, no sweep
        needed), and the read is audited per patient shown, as in the API and the web UI."""
        from calcitrack.app.worklist import read_worklist
        from calcitrack.registry.db import connect, session_scope

        engine = connect(database)
        with session_scope(engine) as session:
            result = read_worklist(
                session, _cli_reader(by), statuses=status, due_before=_date(due_before, "--due-before"),
                patient=patient, limit=limit, as_of=_date(as_of, "--as-of"), what="cli worklist",
            )
        rows = [item.model_dump(mode="json") for item in result.items]
        if fmt is Fmt.json:
            print_json(rows)
        else:
            print_worklist(rows)

    @app.command("timeline")
    def timeline_cmd(
        patient: Annotated[str, typer.Argument(help="pseudonymous patient id")],
        by: Annotated[str | None, typer.Option(help="who reads (audit; default: OS user)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """A patient's reports, findings (with interval change) and follow-ups, in date order (the read is
        audited, as in the API and the web UI)."""
        from calcitrack.app.timeline import read_timeline
        from calcitrack.registry.db import connect, session_scope

        engine = connect(database)
        with session_scope(engine) as session:
            story = read_timeline(session, _cli_reader(by), patient, what="cli timeline").model_dump(mode="json")
        if fmt is Fmt.json:
            print_json(story)
            return
        console.print(f"[bold]Patient {story['patient_id']}[/bold]", markup=True)
        for report in story["reports"]:
            flag = "" if report["current"] else " (replaced)"
            console.print(
                f"{report['date'] or '?'}  {report['report_id']} v{report['version']}{flag}"
                f"  {report['modality'] or ''} {report['lang'] or ''}", markup=False,
            )
            for f in report["findings"]:
                size = f"{f['size_mm']:g} mm" if f["size_mm"] else "size ?"
                change = f["computed_change"] or f["reported_change"] or "—"
                label = "no calcification" if f["negated"] else f"{f['organ']} {f['site'] or ''} {size}"
                console.print(f"    {f['key']}: {label}; change {change}; action {f['action'] or '—'}"
                              f"{' (re-assessed)' if f['reassessed'] else ''}", markup=False)
        console.print("[bold]Follow-ups[/bold]")
        for fu in story["follow_ups"]:
            extra = f" -> superseded by {fu['superseded_by']}" if fu["superseded_by"] else ""
            reason = f" ({fu['closed_reason']})" if fu["closed_reason"] else ""
            if fu["exam_received_report_id"]:
                extra += (f" [exam received, does not fulfil: {fu['exam_received_report_id']}"
                          f" {fu['exam_received_modality'] or '?'} {fu['exam_received_on']}]")
            console.print(f"  #{fu['follow_up_id']} {fu['action']} due {fu['due_date']}: {fu['status']}"
                          f"{reason}{extra} — {fu['what']}", markup=False)

    @app.command("follow-up")
    def follow_up_cmd(
        target: Annotated[str, typer.Argument(help="follow-up id, or 'sweep' to run the reminder ladder")],
        set_status: Annotated[
            str | None, typer.Option("--set", help="pending, notified, scheduled, done, overdue or cancelled")
        ] = None,
        reason: Annotated[str | None, typer.Option(help="why (required to cancel)")] = None,
        responsible: Annotated[str | None, typer.Option(help="transfer to this responsible clinician")] = None,
        by: Annotated[str | None, typer.Option(help="who makes the change (default: OS user)")] = None,
        as_of: Annotated[str | None, typer.Option(help="sweep: the date to judge due dates by (default today)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Change a follow-up's status or responsible clinician; ``follow-up sweep`` marks overdue ones."""
        from calcitrack.app.follow_ups import change_follow_up, run_sweep
        from calcitrack.registry import audit
        from calcitrack.registry.db import connect, session_scope

        engine = connect(database)
        actor = by or audit.default_actor()
        if target == "sweep":
            day = _date(as_of, "--as-of") or dt.date.today()
            # the ladder, then the notices it calls for (docs/notifications.md): the same run as serve's schedule
            run = run_sweep(engine, day, actor=actor, source=audit.source_of("cli:follow-up sweep"))
            result, told = run.ladder, run.notices
            notices = {"queued": told.queued, **told.delivery.as_dict()} if told and told.queued else None
            if fmt is Fmt.json:
                print_json({"as_of": day.isoformat(), "overdue": result.overdue, "escalated": result.escalated,
                            **({"notices": notices} if notices else {})})
            else:
                console.print(f"as of {day}: {len(result.overdue)} newly overdue, {len(result.escalated)} escalated",
                              markup=False)
                if notices and told:
                    console.print(f"notices: {sum(told.queued.values())} queued, {told.delivery.sent} sent,"
                                  f" {told.delivery.retrying} to retry", markup=False)
            return
        if not target.isdigit():
            raise InputError(f"follow-up id must be a number or 'sweep', not {target!r}")
        if set_status is None and responsible is None:
            raise InputError("nothing to do: give --set STATUS and/or --responsible NAME")
        with session_scope(engine) as session:
            changed = change_follow_up(session, int(target), status=set_status, reason=reason,
                                       responsible=responsible, actor=actor, source=audit.source_of("cli:follow-up"))
        state = {"follow_up_id": changed.follow_up_id, "status": changed.status, "responsible": changed.responsible}
        if fmt is Fmt.json:
            print_json(state)
        else:
            console.print(f"follow-up {state['follow_up_id']}: {state['status']}"
                          f" (responsible: {state['responsible'] or '—'})", markup=False)

    @app.command("metrics")
    def metrics_cmd(
        as_of: Annotated[str | None, typer.Option(help="date to judge overdue by (default today)")] = None,
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Open, overdue, completion rate and median days to completion, overall and by action level."""
        from calcitrack.registry import queries
        from calcitrack.registry.db import connect, session_scope

        engine = connect(database)
        with session_scope(engine) as session:
            data = queries.metrics(session, _date(as_of, "--as-of"))
        if fmt is Fmt.json:
            print_json(data)
            return
        table = Table(title=f"Follow-up metrics as of {data['as_of']}")
        for column in ("level", "total", "open", "overdue", "done", "cancelled", "superseded", "completion",
                       "median days"):
            table.add_column(column, justify="right")
        for name, values in [("all", data), *data["by_action"].items()]:
            rate = values["completion_rate"]
            median = values["median_days_to_completion"]
            table.add_row(
                name, *(str(values[k]) for k in ("total", "open", "overdue", "done", "cancelled", "superseded")),
                "—" if rate is None else f"{rate:.0%}", "—" if median is None else f"{median:g}",
            )
        console.print(table)

    @app.command("demo")
    def demo_cmd(
        policy: Annotated[str, typer.Option(help="policy for the examples (seed: ultrasound surveillance)")] = "seed",
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Ingest the bundled example reports (a few patients over time) and print the worklist."""
        from calcitrack.app.follow_ups import run_sweep
        from calcitrack.app.ingest import ingest_items, read_items
        from calcitrack.registry import audit, queries
        from calcitrack.registry.db import make_engine, resolve_url, safe_url, session_scope, upgrade

        engine = make_engine(database)
        upgrade(engine)
        examples = resources.files("calcitrack.examples").joinpath("reports.jsonl")
        with resources.as_file(examples) as path:
            summary = ingest_items(
                engine, read_items(str(Path(path))), policy=policy, actor="demo",
                source=audit.source_of("cli:demo"),
                on_error=lambda message: err_console.print(f"error: {message}", markup=False),
            )
        # the reminder ladder as of today, as a daily job would run it (no notices from example data)
        swept = run_sweep(engine, dt.date.today(), actor="demo", source=audit.source_of("cli:demo"),
                          notify=False).ladder
        with session_scope(engine) as session:
            rows = queries.worklist(session)
        if fmt is Fmt.json:
            print_json(rows)
        else:
            console.print(f"Registry: {safe_url(resolve_url(database))}", markup=False)
            console.print(_summary_line(summary), markup=False)
            console.print(f"Sweep as of {dt.date.today()}: {len(swept.overdue)} newly overdue,"
                          f" {len(swept.escalated)} escalated", markup=False)
            print_worklist(rows, title="Follow-up worklist (demo)")
        if summary.errors:
            raise typer.Exit(2)
