"""Real local servers for the notification tests: an SMTP server (aiosmtpd) and a FHIR endpoint (stdlib
HTTP server on a thread). They record what they receive; nothing is mocked."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class SmtpSink:
    """Collects the messages an aiosmtpd server on 127.0.0.1:``port`` receives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _FhirHandler(BaseHTTPRequestHandler):
    server: FhirServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body or b"null")}
        )
        status = self.server.status
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        reply = json.dumps({"resourceType": "Communication", "id": str(len(self.server.requests))}).encode()
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
        return


class FhirServer(ThreadingHTTPServer):
    """A FHIR endpoint that stores every POST and answers ``status`` (201 unless a test changes it)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FhirHandler)
        self.requests: list[dict[str, Any]] = []
        self.status = 201

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/fhir"

    def communications(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == "/fhir/Communication"]


@contextmanager
def fhir_server() -> Iterator[FhirServer]:
    server = FhirServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: a hung mail server (reads time out)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def configure(monkeypatch: Any, *, smtp_port: int, fhir_url: str | None, timeout: float = 2.0,
              email_on: bool = True, fhir_on: bool = True) -> None:
    """Point calcitrack's settings at the test servers (and re-read them)."""
    from calcitrack.settings import get_settings

    values = {
        "CALCITRACK_NOTIFY_EMAIL": "true" if email_on else "false",
        "CALCITRACK_NOTIFY_FHIR": "true" if fhir_on else "false",
        "CALCITRACK_SMTP_HOST": "127.0.0.1",
        "CALCITRACK_SMTP_PORT": str(smtp_port),
        "CALCITRACK_SMTP_FROM": "calcitrack@hospital.test",
        "CALCITRACK_FHIR_BASE_URL": fhir_url or "",
        "CALCITRACK_FHIR_TOKEN": "test-token",
        "CALCITRACK_NOTIFY_TIMEOUT_SECONDS": str(timeout),
        "CALCITRACK_PUBLIC_URL": "https://calcitrack.hospital.test",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
