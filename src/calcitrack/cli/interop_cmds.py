"""Interoperability commands: ``hl7 listen``, ``hl7 ingest``, ``fhir ingest``, ``fhir convert``.

Why here: flags and output are the face's job; parsing and mapping live in :mod:`calcitrack.interop`, so
the API and tests use exactly the same code. The registry and ``fhir.resources`` are imported inside the
commands (they are slow to import and every other command would pay for them).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from calcitrack.cli.options import DatabaseOption, err_console
from calcitrack.errors import InputError

MAX_FILE_BYTES = 50_000_000


def _read(file: str) -> bytes:
    path = Path(file)
    if not path.is_file():
        raise InputError(f"{file}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{file}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc


def _summary(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    hl7_app = typer.Typer(help="HL7 v2 (ORU^R01) report feed.", no_args_is_help=True)
    fhir_app = typer.Typer(help="FHIR R4 DiagnosticReport in, Bundle out.", no_args_is_help=True)
    app.add_typer(hl7_app, name="hl7")
    app.add_typer(fhir_app, name="fhir")

    @hl7_app.command("listen")
    def hl7_listen_cmd(
        port: Annotated[int, typer.Option(help="TCP port to listen on")] = 2575,
        host: Annotated[str, typer.Option(help="interface to bind (0.0.0.0 for all)")] = "127.0.0.1",
        max_bytes: Annotated[int, typer.Option(help="largest accepted message, in bytes")] = 1_000_000,
        policy: Annotated[str | None, typer.Option(help="KB policy (default: CALCITRACK_POLICY)")] = None,
        database: DatabaseOption = None,
    ) -> None:
        """MLLP listener: each ORU^R01 is analysed and stored, and answered with an ACK (AA, AE or AR)."""
        import asyncio
        import contextlib
        import signal

        from calcitrack.interop.mllp import MllpServer, registry_handler
        from calcitrack.registry.db import check_schema, make_engine

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        # A long-running listener, like the API: pooled connections are pinged before use, so the first
        # message after a database restart is stored instead of answered AE.
        engine = make_engine(database)
        check_schema(engine)
        server = MllpServer(registry_handler(engine, policy=policy), host=host, port=port, max_bytes=max_bytes)

        async def run() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):  # graceful stop: finish the messages in hand
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            bound = await server.start()
            err_console.print(f"MLLP listener on {host}:{bound} (Ctrl-C to stop)", markup=False)
            try:
                await stop.wait()
            finally:
                await server.stop()
            err_console.print("stopped", markup=False)

        try:
            asyncio.run(run())
        except KeyboardInterrupt:
            err_console.print("stopped", markup=False)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    @hl7_app.command("ingest")
    def hl7_ingest_cmd(
        file: Annotated[str, typer.Argument(help="file with one or more HL7 v2 messages (\\r or \\n separated)")],
        policy: Annotated[str | None, typer.Option(help="KB policy (default: CALCITRACK_POLICY)")] = None,
        database: DatabaseOption = None,
    ) -> None:
        """Ingest ORU^R01 messages from a file; prints one ACK code per message, exit 2 if any failed."""
        from calcitrack.interop.hl7v2 import split_messages
        from calcitrack.interop.mllp import Outcome, decode, registry_handler
        from calcitrack.registry.db import connect

        messages = split_messages(decode(_read(file)))
        if not messages:
            raise InputError(f"{file}: no HL7 message found")
        engine = connect(database)
        outcomes: list[Outcome] = []
        handle = registry_handler(engine, policy=policy, on_outcome=outcomes.append)
        results = []
        for number, message in enumerate(messages, start=1):
            ack = handle(message)
            msa = next((s for s in ack.split("\r") if s.startswith("MSA|")), "MSA|AE")
            parts = msa.split("|")
            results.append({"message": number, "ack": parts[1], "text": parts[3] if len(parts) > 3 else ""})
            if parts[1] != "AA":
                err_console.print(f"error: {file}: message {number}: {results[-1]['text']}", markup=False)
        _summary({"messages": len(messages), "accepted": sum(r["ack"] == "AA" for r in results), "results": results})
        if any(r["ack"] != "AA" for r in results):
            raise typer.Exit(2)

    @fhir_app.command("ingest")
    def fhir_ingest_cmd(
        file: Annotated[str, typer.Argument(help="FHIR JSON: a DiagnosticReport or a Bundle of them")],
        policy: Annotated[str | None, typer.Option(help="KB policy (default: CALCITRACK_POLICY)")] = None,
        amend: Annotated[bool, typer.Option(help="store changed reports as new versions")] = False,
        database: DatabaseOption = None,
    ) -> None:
        """Store FHIR DiagnosticReports in the registry (analysed, with their follow-ups)."""
        from calcitrack.app.ingest import Item, ingest_items
        from calcitrack.interop.fhir_in import FINAL_STATUSES, load_json, read_reports
        from calcitrack.registry import audit
        from calcitrack.registry.db import connect

        reports = read_reports(load_json(_read(file), file), source=file)
        for found in reports:
            if not found.report.patient_id:
                raise InputError(f"{file}: DiagnosticReport {found.report.id}: subject: no patient reference")
            if found.status not in FINAL_STATUSES:
                raise InputError(f"{file}: DiagnosticReport {found.report.id}: status: {found.status} report is not "
                                 "stored (only final, amended, corrected, appended)")
        engine = connect(database)
        summary = ingest_items(
            engine, iter([Item(line=i + 1, report=r.report) for i, r in enumerate(reports)]), policy=policy,
            amend=amend, actor=audit.default_actor(), source=audit.source_of("cli:fhir-ingest"),
            on_error=lambda message: err_console.print(f"error: {file}: {message}", markup=False),
        )
        _summary({"stored": summary.stored, "amended": summary.amended, "unchanged": summary.unchanged,
                  "follow_ups_created": summary.follow_ups_created, "errors": summary.errors})
        if summary.errors:
            raise typer.Exit(2)

    @fhir_app.command("convert")
    def fhir_convert_cmd(
        file: Annotated[str, typer.Argument(help="FHIR JSON: a DiagnosticReport (or a Bundle with one)")],
        policy: Annotated[str | None, typer.Option(help="KB policy (default: CALCITRACK_POLICY)")] = None,
    ) -> None:
        """DiagnosticReport -> analysis -> FHIR Bundle (Observation, ServiceRequest, CarePlan) on stdout."""
        from calcitrack.app.analyze import analyze
        from calcitrack.interop.fhir_in import load_json, read_reports
        from calcitrack.interop.fhir_out import analysis_to_bundle

        reports = read_reports(load_json(_read(file), file), source=file)
        if len(reports) != 1:
            raise InputError(f"{file}: {len(reports)} DiagnosticReports; convert takes one (use fhir ingest for many)")
        analysis = analyze(reports[0].report, policy=policy)
        typer.echo(analysis_to_bundle(analysis, source_reference=reports[0].reference))
