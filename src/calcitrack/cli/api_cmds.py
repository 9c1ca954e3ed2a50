"""API commands: ``serve``, ``users add|list|revoke``, ``keys create|list|revoke``, ``audit --patient``.

Why users and keys are managed only from the command line: whoever can run ``calcitrack`` on the
server already holds the database; there is no default admin key and no HTTP endpoint that mints
credentials. ``keys create`` prints the key once, alone on stdout (``KEY=$(calcitrack keys create bob)``);
only its prefix and a salted hash are stored.
"""

from __future__ import annotations

import os
import secrets
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import or_, select

from calcitrack.app import auth
from calcitrack.cli.options import DatabaseOption, Fmt, console, err_console, print_json
from calcitrack.errors import InputError, NotFound
from calcitrack.registry import audit
from calcitrack.registry.db import ENV_URL, connect, resolve_url, session_scope
from calcitrack.settings import ENV_SECRET_KEY, get_settings


def patient_audit(session: Any, patient_key: str) -> list[dict[str, Any]]:
    """Every audit event about one patient: reads of the patient, its reports and its follow-ups."""
    from calcitrack.registry import tables as t

    patient = session.scalars(select(t.Patient).where(t.Patient.key == patient_key)).first()
    if patient is None:
        raise NotFound(f"no patient {patient_key!r} in the registry")
    report_pks = list(session.scalars(select(t.Report.id).where(t.Report.patient_pk == patient.id)))
    follow_up_pks = list(session.scalars(select(t.FollowUp.id).where(t.FollowUp.patient_pk == patient.id)))
    where = [(t.AuditEvent.entity == "patient") & (t.AuditEvent.entity_pk == patient.id)]
    if report_pks:
        where.append((t.AuditEvent.entity == "report") & t.AuditEvent.entity_pk.in_(report_pks))
    if follow_up_pks:
        where.append((t.AuditEvent.entity == "follow_up") & t.AuditEvent.entity_pk.in_(follow_up_pks))
    events = session.scalars(select(t.AuditEvent).where(or_(*where)).order_by(t.AuditEvent.at, t.AuditEvent.id))
    rows = [
        {
            "at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "source": e.source, "entity": e.entity,
            "entity_id": e.entity_pk, "event": e.event, "old": e.old_value, "new": e.new_value, "detail": e.detail,
        }
        for e in events
    ]
    # Reading the trail is itself a read of patient data: it is recorded after the listing is taken.
    audit.log(session, actor=audit.default_actor(), source=audit.source_of("cli:audit"), entity="patient",
              entity_pk=patient.id, event_name="read", detail="audit trail")
    return rows


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        host: Annotated[str, typer.Option(help="interface to listen on (0.0.0.0 for all)")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8000,
        workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
        log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
        database: DatabaseOption = None,
    ) -> None:
        """Serve the HTTP API (uvicorn); OpenAPI at /openapi.json, interactive docs at /docs."""
        import uvicorn

        from calcitrack.api.logging import configure, log_config

        level = log_level.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise InputError(f"--log-level: expected debug, info, warning or error, got {log_level!r}")
        from calcitrack.api.settings import Settings

        Settings.from_env()  # a bad CALCITRACK_MAX_BODY_BYTES is one error line here, not a worker traceback
        connect(database).dispose()  # refuse to start on a missing or un-migrated database
        if database:
            os.environ[ENV_URL] = resolve_url(database)  # worker processes build the app from the environment
        if workers > 1 and not get_settings().secret_key:
            # One secret for every worker (they inherit the environment), or each would refuse the others'
            # session cookies and CSRF tokens; sessions still end when the server restarts.
            os.environ[ENV_SECRET_KEY] = secrets.token_urlsafe(32)
        get_settings.cache_clear()  # the environment changed: an in-process worker (--workers 1) re-reads it
        configure(level)
        import logging

        logging.getLogger("calcitrack.api").info(
            "starting", extra={"event": "start", "host": host, "port": port, "workers": workers}
        )
        uvicorn.run(
            "calcitrack.api.app:create_app", factory=True, host=host, port=port, workers=workers,
            log_config=log_config(level), access_log=False, server_header=False, proxy_headers=True,
            # above uvicorn's 5 s, so that a client's pooled connection is not closed under its next request
            timeout_keep_alive=75,
        )

    users_app = typer.Typer(help="API users and their roles.", no_args_is_help=True)
    app.add_typer(users_app, name="users")

    @users_app.command("add")
    def users_add_cmd(
        name: Annotated[str, typer.Argument(help="user (or system) name, e.g. dr.martin or ris-feed")],
        role: Annotated[str, typer.Option(help=f"one of {', '.join(auth.ROLES)}")],
        database: DatabaseOption = None,
    ) -> None:
        """Add an API user with a role; then give them a key with `calcitrack keys create NAME`."""
        with session_scope(connect(database)) as session:
            auth.add_user(session, name, role, actor=audit.default_actor(), source=audit.source_of("cli:users"))
        console.print(f"user {name} added with role {role}; create a key with: calcitrack keys create {name}",
                      markup=False)

    @users_app.command("list")
    def users_list_cmd(
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """List API users, their roles and active key prefixes (never the keys)."""
        with session_scope(connect(database)) as session:
            rows = auth.list_users(session)
        if fmt is Fmt.json:
            print_json(rows)
            return
        table = Table(title="API users")
        for column in ("name", "role", "state", "keys", "created"):
            table.add_column(column)
        for row in rows:
            table.add_row(str(row["name"]), str(row["role"]), "revoked" if row["revoked"] else "active",
                          ", ".join(row["key_prefixes"]) or "—", str(row["created_at"]))  # type: ignore[arg-type]
        console.print(table)

    @users_app.command("revoke")
    def users_revoke_cmd(name: Annotated[str, typer.Argument()], database: DatabaseOption = None) -> None:
        """Revoke a user and all their keys (effective on their next request)."""
        with session_scope(connect(database)) as session:
            auth.revoke_user(session, name, actor=audit.default_actor(), source=audit.source_of("cli:users"))
        console.print(f"user {name} revoked", markup=False)

    keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @keys_app.command("create")
    def keys_create_cmd(name: Annotated[str, typer.Argument(help="existing API user")],
                        database: DatabaseOption = None) -> None:
        """Create a key for a user and print it once (only a hash is stored: it cannot be shown again)."""
        with session_scope(connect(database)) as session:
            key = auth.create_key(session, name, actor=audit.default_actor(), source=audit.source_of("cli:keys"))
        typer.echo(key)
        err_console.print(f"key created for {name}; store it now, it cannot be shown again", markup=False)

    @keys_app.command("revoke")
    def keys_revoke_cmd(prefix: Annotated[str, typer.Argument(help="key prefix, as shown by `users list`")],
                        database: DatabaseOption = None) -> None:
        """Revoke one key by its prefix."""
        with session_scope(connect(database)) as session:
            auth.revoke_key(session, prefix, actor=audit.default_actor(), source=audit.source_of("cli:keys"))
        console.print(f"key {prefix} revoked", markup=False)

    @app.command("audit")
    def audit_cmd(
        patient: Annotated[str, typer.Option(help="pseudonymous patient id")],
        fmt: Annotated[Fmt, typer.Option("--format", help="text or json")] = Fmt.text,
        database: DatabaseOption = None,
    ) -> None:
        """Who read or changed a patient's data, when and from where (the append-only audit trail)."""
        with session_scope(connect(database)) as session:
            rows = patient_audit(session, patient)
        if fmt is Fmt.json:
            print_json(rows)
            return
        table = Table(title="Audit trail")
        for column in ("at (UTC)", "actor", "source", "entity", "event", "change", "detail"):
            table.add_column(column, overflow="fold")
        for row in rows:
            change = f"{row['old'] or ''} -> {row['new'] or ''}" if row["old"] or row["new"] else ""
            table.add_row(row["at"], row["actor"], row["source"], f"{row['entity']} {row['entity_id']}", row["event"],
                          change, row["detail"] or "")
        console.print(table)
