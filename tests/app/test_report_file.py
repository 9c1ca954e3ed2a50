"""One report-file decoder (app/report_file.py) for CLI ``analyze``, ``ingest`` of a .txt and the web upload."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcitrack.app.ingest import read_items
from calcitrack.app.report_file import decode_report, read_report_file
from calcitrack.errors import InputError, InvalidInput

TEXT = "Foie : calcification de 5 mm du segment VII, « punctiforme » ; contrôle à l’écho."


@pytest.mark.parametrize("data, encoding, warned", [
    (TEXT.encode("utf-8"), "utf-8", False),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", False),
    (TEXT.encode("utf-16"), "utf-16", False),
    (TEXT.encode("cp1252"), "windows-1252", True),
    (TEXT.replace("’", "'").encode("latin-1") + b"\x81", "latin-1", True),  # 0x81: no cp1252 character
])
def test_every_accepted_encoding_gives_the_same_text(data: bytes, encoding: str, warned: bool) -> None:
    decoded = decode_report(data, "cr.txt")
    assert decoded.text.startswith(TEXT.replace("’", "'") if encoding == "latin-1" else TEXT)
    assert decoded.encoding == encoding
    assert (decoded.warning is not None) == warned
    if warned:
        assert decoded.warning is not None and decoded.warning.startswith("cr.txt: not UTF-8")


@pytest.mark.parametrize("data, reason", [
    (b"Liver\x00 calcification", "binary data (NUL bytes)"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08" * 10, "binary data (control characters)"),
    (b"\xff\xfe\x00", "byte-order mark but is not UTF-16"),
    (b"x" * 101, "more than 100 bytes"),
])
def test_undecodable_input_is_one_line_naming_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_report(data, "scan.bin", max_bytes=100)
    message = str(info.value)
    assert message.startswith("scan.bin: ") and reason in message and "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nothere\.txt: no such file"):
        read_report_file(tmp_path / "nothere.txt")


def test_ingest_and_cli_analyze_read_a_windows_1252_report_alike(tmp_path: Path) -> None:
    path = tmp_path / "US-1252.txt"
    path.write_bytes("Liver: a 5 mm calcification in segment VII – punctate.".encode("cp1252"))
    (item,) = list(read_items(str(path), patient="P1", lang="en"))
    assert not isinstance(item, InputError) and item.report is not None
    assert item.report.text == read_report_file(path).text == "Liver: a 5 mm calcification in segment VII – punctate."

    from calcitrack.cli.app import _register_all, app

    _register_all()
    result = CliRunner().invoke(app, ["analyze", str(path), "--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "segment VII – punctate" in result.stdout and "not UTF-8, read as Windows-1252" in result.stderr


def test_ingest_refuses_a_binary_txt_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "scan.txt"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(InvalidInput, match=r"scan\.txt: binary data"):
        list(read_items(str(path), patient="P1"))
