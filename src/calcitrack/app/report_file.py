"""The one way to read a report file's bytes as text, for every face: CLI ``analyze``, ``ingest`` of a .txt
report, and the web UI's upload.

Why one: RIS exports and copy-paste arrive in UTF-8 (with or without BOM), UTF-16 (Windows tools, with a
BOM) and Windows-1252 / Latin-1 (older systems). Faces that decoded differently gave the same file a
different fate. The rules, in order: too large, refused; a UTF-16 BOM, UTF-16; NUL bytes, refused as
binary; UTF-8 (a BOM is dropped); else Windows-1252 (Latin-1 where cp1252 has no character), with a
warning the face shows; mostly control characters, refused as binary. Every refusal is one
:class:`~calcitrack.errors.InvalidInput` line naming the file and the reason.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from calcitrack.errors import InvalidInput

MAX_REPORT_BYTES = 20_000_000
"""20 MB: a long report is ~50 kB; a larger file is not one report."""


@dataclass(frozen=True)
class ReportText:
    text: str
    encoding: str
    """utf-8, utf-16, windows-1252 or latin-1."""
    warning: str | None = None
    """Set when the file was not UTF-8 (the face shows it: the guess may be wrong)."""


def decode_report(data: bytes, name: str, *, max_bytes: int = MAX_REPORT_BYTES) -> ReportText:
    """The text of a report file's bytes; ``name`` (file name, ``<stdin>``, upload name) is in every error."""
    if len(data) > max_bytes:
        raise InvalidInput(f"{name}: more than {max_bytes:,} bytes; larger reports are refused")
    encoding = "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            reason = exc.reason
            raise InvalidInput(f"{name}: starts with a UTF-16 byte-order mark but is not UTF-16 ({reason})") from exc
        encoding = "utf-16"
    if b"\x00" in data:
        raise InvalidInput(f"{name}: binary data (NUL bytes), not a text report")
    warning = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        read_as = "Windows-1252 (Latin-1)" if encoding == "windows-1252" else "Latin-1"
        warning = f"{name}: not UTF-8, read as {read_as}"
    controls = sum(1 for ch in text[:10000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(10, len(text[:10000]) // 20):
        raise InvalidInput(f"{name}: binary data (control characters), not a text report")
    return ReportText(text, encoding, warning)


def read_report_file(path: str | Path, *, max_bytes: int = MAX_REPORT_BYTES) -> ReportText:
    """:func:`decode_report` of a file, read with a bound (a path may be a device that never ends)."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such file") from exc
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return decode_report(data, str(path), max_bytes=max_bytes)
