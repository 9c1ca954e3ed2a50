"""MLLP listener: HL7 v2 messages over TCP, each ingested into the registry and answered with an ACK.

Framing (MLLP): ``0x0b`` message ``0x1c 0x0d``. Why a hand-written asyncio server rather than
``hl7.mllp``: we need per-message error isolation that never closes the connection (a malformed or
oversized message gets an ``AE``/``AR`` and the next frame on the same connection is served), a maximum
message size, and a clean stop for tests and services. Blocking work (NLP, database) runs in a worker
thread so one slow report does not stall other connections.

Nothing here logs message content: only sizes, ACK codes and the error location.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from calcitrack.errors import CalcitrackError
from calcitrack.interop.hl7v2 import (
    ERR_INTERNAL,
    Header,
    Hl7Error,
    ack_for_error,
    build_ack,
    normalise,
    parse_oru,
    read_header,
)

log = logging.getLogger("calcitrack.interop.mllp")

START = b"\x0b"
END = b"\x1c\x0d"
DEFAULT_MAX_BYTES = 1_000_000
"""1 MB: a long radiology report is ~50 kB; anything much larger is a runaway sender or an attack."""

Handler = Callable[[str], str]
"""Takes one message (text, segments separated by ``\\r``), returns the ACK text. Must not raise."""


def frame(message: str | bytes) -> bytes:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return START + data + END


def decode(data: bytes) -> str:
    """UTF-8, else Latin-1 (many v2 senders still use 8859-1); never fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass
class Outcome:
    """What happened to one message: the ACK code and (for AE/AR) the error location."""

    code: str
    reports: int = 0
    location: str | None = None


def registry_handler(engine: Engine, *, policy: str | None = None,
                     on_outcome: Callable[[Outcome], None] | None = None) -> Handler:
    """A handler that parses an ORU^R01, analyses and stores its reports, and returns the ACK."""
    from calcitrack.app.ingest import Item, ingest_items
    from calcitrack.registry.db import DatabaseError

    def handle(message: str) -> str:
        outcome = Outcome(code="AA")
        try:
            parsed = parse_oru(message)
            items = iter([Item(line=i + 1, report=r) for i, r in enumerate(parsed.reports)])
            # amend: a feed re-sends a report when it is finalised or corrected; its latest message wins
            # (the registry keeps the older version and cancels that version's follow-ups).
            summary = ingest_items(engine, items, policy=policy, amend=True, actor="hl7", source="hl7-mllp")
            if summary.errors:
                reason = summary.errors[0].split(": ", 1)[-1]
                raise Hl7Error(f"report not stored: {reason}", code="AE", error=ERR_INTERNAL)
            outcome.reports = len(parsed.reports)
            stored = summary.stored + summary.amended
            ack = build_ack(parsed.header, "AA", f"{len(parsed.reports)} report(s) accepted, {stored} new")
        except Hl7Error as exc:
            outcome.code, outcome.location = exc.code, exc.location
            ack = ack_for_error(message, exc)
        except DatabaseError:
            outcome.code = "AE"
            ack = build_ack(read_header(normalise(message)), "AE", "registry unavailable, retry later",
                            error=ERR_INTERNAL)
        except CalcitrackError as exc:
            outcome.code = "AE"
            ack = build_ack(read_header(normalise(message)), "AE", str(exc).splitlines()[0][:200], error=ERR_INTERNAL)
        except Exception as exc:  # never a traceback to the peer, never a dropped connection
            log.error("message processing failed: %s", type(exc).__name__)
            outcome.code = "AE"
            ack = build_ack(read_header(normalise(message)), "AE", "internal error while processing the message",
                            error=ERR_INTERNAL)
        log.info("hl7 message: ack=%s reports=%d location=%s", outcome.code, outcome.reports, outcome.location)
        if on_outcome is not None:
            on_outcome(outcome)
        return ack

    return handle


class MllpServer:
    """An asyncio MLLP server around a blocking :data:`Handler`."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 2575,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Bind and start accepting; returns the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        """Stop accepting, close open connections, wait for handlers to finish."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter, payload: bytes) -> None:
        ack = await asyncio.to_thread(self.handler, decode(payload))
        writer.write(frame(ack))
        await writer.drain()

    async def _reject(self, writer: asyncio.StreamWriter, payload: bytes, reason: str) -> None:
        header = read_header(normalise(decode(payload[:4096]))) if payload else Header()
        writer.write(frame(build_ack(header, "AR", reason, location="MSH", error=ERR_INTERNAL)))
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        buffer = bytearray()
        in_frame = False
        skipping = False  # after an oversized frame: drop bytes up to its end block
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                while True:
                    if skipping:
                        end = buffer.find(END)
                        if end < 0:
                            del buffer[: max(0, len(buffer) - 1)]
                            break
                        del buffer[: end + len(END)]
                        skipping = False
                        continue
                    if not in_frame:
                        start = buffer.find(START)
                        if start < 0:
                            buffer.clear()  # bytes outside a frame are noise
                            break
                        del buffer[: start + 1]
                        in_frame = True
                    end = buffer.find(END)
                    restart = buffer.find(START)
                    if restart >= 0 and (end < 0 or restart < end):
                        # a new start block before this frame ended: the earlier frame was cut short
                        await self._reject(writer, bytes(buffer[:restart]), "incomplete MLLP frame (no end block)")
                        del buffer[:restart]
                        in_frame = False
                        continue
                    if end < 0:
                        if len(buffer) > self.max_bytes:
                            await self._reject(writer, bytes(buffer[:4096]),
                                               f"message larger than {self.max_bytes} bytes")
                            buffer.clear()
                            in_frame = False
                            skipping = True
                        break
                    payload = bytes(buffer[:end])
                    del buffer[: end + len(END)]
                    in_frame = False
                    if len(payload) > self.max_bytes:
                        await self._reject(writer, payload[:4096], f"message larger than {self.max_bytes} bytes")
                    else:
                        await self._answer(writer, payload)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


class ListenerThread:
    """Runs an :class:`MllpServer` on its own event loop in a daemon thread (tests, embedding)."""

    def __init__(self, server: MllpServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mllp-listener", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # bind failure: report it to start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    def start(self, timeout: float = 10.0) -> int:
        self._thread.start()
        self._started.wait(timeout)
        if self._error is not None:
            raise self._error
        return self.server.port

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)


def send(host: str, port: int, message: str, timeout: float = 30.0) -> str:
    """Client helper: send one framed message on a new connection and return the ACK text."""
    import socket

    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(frame(message))
        return read_frame(sock)


def read_frame(sock: object, limit: int = DEFAULT_MAX_BYTES) -> str:
    """Read one MLLP frame from a blocking socket and return its content."""
    import socket as _socket

    assert isinstance(sock, _socket.socket)
    data = bytearray()
    while END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the end of the frame")
        data += chunk
        if len(data) > limit:
            raise ConnectionError("frame too large")
    start = data.find(START)
    end = data.find(END)
    return decode(bytes(data[start + 1 : end]))
