"""Encodings and 10 MB reports through every door: ``calcitrack analyze``, ``calcitrack batch`` (JSONL)
and ``POST /api/v1/analyze``. Each input ends in a correct analysis or a clear refusal naming the problem -
never a traceback, never a 5xx.

Why these inputs: reports arrive from RIS exports and copy-paste, in UTF-16 (Windows tools, with or
without BOM), Latin-1 / Windows-1252 (older systems), broken UTF-8 (truncated multi-byte sequences), with
NUL bytes (binary or UTF-16 read as bytes), and occasionally enormous (a whole archive pasted as one).
The CLI runs in-process (typer's runner; the NLP pipelines load once) except one real subprocess that
checks the console script itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.app.auth import add_user, create_key
from calcitrack.cli.app import EXIT_INPUT, _register_all, app
from calcitrack.errors import CalcitrackError
from calcitrack.kb.loader import KBError
from calcitrack.registry.db import make_engine, session_scope, upgrade
from tests.reliability import FULL, Recorder

pytestmark = pytest.mark.reliability

REPORT = "Foie : calcification grossière de 7 mm du segment VI avec cône d’ombre « typique »."
REPORT_EN = "Liver: there is a 6 mm coarse calcification in segment VII – “benign” appearance."
TEN_MB = 10_000_000


def encodings() -> dict[str, bytes]:
    return {
        "utf-8": REPORT.encode("utf-8"),
        "utf-8 with BOM": REPORT.encode("utf-8-sig"),
        "utf-16 with BOM": REPORT.encode("utf-16"),
        "utf-16-le without BOM": REPORT.encode("utf-16-le"),
        "latin-1": REPORT.replace("’", "'").replace("«", '"').replace("»", '"').encode("latin-1"),
        "windows-1252": REPORT.encode("cp1252"),
        "invalid utf-8": REPORT.encode("utf-8")[:-3] + b"\xc3\x28\xff\xfe calcification 5 mm",
        "NUL bytes": REPORT.encode("utf-8").replace(b"calcification", b"calc\x00ification"),
        "control characters": b"\x01\x02\x03\x04\x05\x06\x07\x08" * 50 + REPORT.encode(),
    }


def big_report() -> str:
    """10 MB: filler with a calcification mention every 50 kB (every ~1 kB in full mode: ~10,000)."""
    filler = "The pancreas, kidneys and spleen are unremarkable. " * (20 if FULL else 1000)
    unit = REPORT_EN + " " + filler
    return (unit * (TEN_MB // len(unit) + 1))[:TEN_MB]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register_all()
    return CliRunner()


def _cli(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout, stderr - with ``main()``'s handling of input errors (one ``error:`` line, exit 2)."""
    result = runner.invoke(app, list(args), catch_exceptions=True)
    exc = result.exception
    if isinstance(exc, CalcitrackError | KBError):
        return EXIT_INPUT, result.stdout, result.stderr + f"error: {exc}"
    if exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(f"calcitrack {' '.join(args)} raised {type(exc).__name__}")
    return result.exit_code, result.stdout, result.stderr


def test_encodings_through_cli_analyze(runner: CliRunner, tmp_path: Path, reliability: Recorder) -> None:
    outcomes: dict[str, str] = {}
    for name, data in encodings().items():
        path = tmp_path / f"report-{name.replace(' ', '_')}.txt"
        path.write_bytes(data)
        code, out, err = _cli(runner, "analyze", str(path), "--format", "json")
        assert "Traceback" not in out + err, name
        if code == 0:
            analysis = json.loads(out)
            affirmed = [f for f in analysis["findings"] if not f["negated"]]
            assert affirmed and affirmed[0]["size_mm"] == 7.0, (name, analysis["findings"])
            for finding in analysis["findings"]:
                start, end = finding["evidence"]["start"], finding["evidence"]["end"]
                assert analysis["report"]["text"][start:end] == finding["evidence"]["text"]
            outcomes[name] = "analysed"
        else:
            assert code == 2 and path.name in err and ("binary" in err or "encoding" in err or "UTF" in err), \
                (name, code, err)
            outcomes[name] = "refused: " + err.split(":")[-1].strip()
    assert outcomes["utf-8"] == outcomes["utf-8 with BOM"] == outcomes["windows-1252"] == "analysed"
    assert outcomes["utf-16 with BOM"] == "analysed"  # the byte-order mark says how to read it
    analysed = sum(1 for v in outcomes.values() if v == "analysed")
    reliability.row(area="fuzzing", check="Report encodings through `calcitrack analyze`",
                    inputs=f"{len(outcomes)} encodings: {', '.join(outcomes)}",
                    result=f"0 tracebacks; {analysed} analysed correctly (7 mm finding, spans exact), "
                           f"{len(outcomes) - analysed} refused with the file name and the reason")


def test_ten_megabyte_report_through_cli_analyze_and_batch(runner: CliRunner, tmp_path: Path,
                                                           reliability: Recorder) -> None:
    text = big_report()
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    code, out, err = _cli(runner, "analyze", str(path), "--format", "json", "--lang", "en")
    assert code == 0, err
    findings = json.loads(out)["findings"]
    assert findings and all(text[f["evidence"]["start"]:f["evidence"]["end"]] == f["evidence"]["text"]
                            for f in findings)
    batch_text = text if FULL else text[:1_000_000]  # quick runs: 1 MB through batch (a worker process)
    lines = tmp_path / "in.jsonl"
    bad_utf8 = b'{"id": "bad-utf8", "text": "calcification \xff\xfe 5 mm"}'
    with lines.open("wb") as handle:
        handle.write(json.dumps({"id": "big", "text": batch_text, "lang": "en"}).encode() + b"\n")
        handle.write(json.dumps({"id": "nul", "text": "Liver: 5 mm calcification.\u0000 end"}).encode() + b"\n")
        handle.write(bad_utf8 + b"\n")
        handle.write(b'{"id": "truncated", "text": "Liver\n')
        handle.write("{\"id\": \"latin\", \"text\": \"Foie : calcification de 5 mm.\"}\n".encode("latin-1"))
        handle.write(json.dumps({"id": "ok", "text": REPORT, "lang": "fr"}).encode() + b"\n")
    out_path, errors_path = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    code, out, err = _cli(runner, "batch", str(lines), "--out", str(out_path), "--errors", str(errors_path),
                          "--workers", "1")
    assert "Traceback" not in out + err
    assert code in (0, 1), err
    done = {json.loads(line)["report"]["id"] for line in out_path.read_text(encoding="utf-8").splitlines()}
    refused = [json.loads(line) for line in errors_path.read_text(encoding="utf-8").splitlines()] \
        if errors_path.exists() else []
    assert {"big", "ok"} <= done
    assert len(done) + len(refused) == 6, (done, refused)
    assert all(any(str(v).strip() for k, v in r.items() if k != "line") for r in refused), refused
    reliability.row(area="fuzzing", check="10 MB report through `calcitrack analyze` and `calcitrack batch`",
                    inputs=f"a {len(text) / 1e6:.0f} MB report ({len(findings):,} mentions); a JSONL of 6 lines "
                           f"({len(batch_text) / 1e6:.0f} MB, NUL, invalid UTF-8, truncated JSON, Latin-1, normal)",
                    result=f"0 tracebacks; analysed with {len(findings):,} findings, spans exact; batch: "
                           f"{len(done)} analysed, {len(refused)} refused with a reason in the errors file")


def test_real_console_script_refuses_binary_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(bytes(range(256)) * 100)
    result = subprocess.run([sys.executable, "-m", "calcitrack", "analyze", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "binary" in result.stderr and path.name in result.stderr


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'enc.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        add_user(session, "doc", "clinician", actor="test", source="test")
        key = create_key(session, "doc", actor="test", source="test")
    with TestClient(create_app(Settings(database_url=url, warmup=False)), raise_server_exceptions=False) as client:
        yield client, {"X-API-Key": key}
    engine.dispose()


def test_encodings_and_ten_megabytes_through_the_api(api: tuple[TestClient, dict[str, str]],
                                                     reliability: Recorder) -> None:
    client, key = api
    statuses: dict[str, int] = {}
    for name, data in encodings().items():
        text = data.decode("utf-8", errors="replace")
        for label, body, content_type in (
            (f"{name} (raw bytes in a JSON string)",
             b'{"text": "' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"}', "application/json"),
            (f"{name} (decoded, JSON-escaped)", json.dumps({"text": text}).encode(), "application/json"),
            (f"{name} (declared charset)", json.dumps({"text": text}).encode("utf-16"),
             "application/json; charset=utf-16"),
        ):
            response = client.post("/api/v1/analyze", content=body, headers={**key, "content-type": content_type})
            statuses[label] = response.status_code
            assert response.status_code in (200, 400, 422), (label, response.text)
            if response.status_code != 200:
                assert response.headers["content-type"] == "application/problem+json"
                detail = response.json()["detail"]
                assert detail.startswith(("body", "text")) and "error parsing" not in detail, detail
    huge = json.dumps({"text": big_report()}).encode()
    response = client.post("/api/v1/analyze", content=huge, headers={**key, "content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert client.post("/api/v1/analyze", json={"text": REPORT_EN}, headers=key).status_code == 200
    ok = sum(1 for s in statuses.values() if s == 200)
    reliability.row(area="fuzzing", check="Encodings and a 10 MB body through POST /api/v1/analyze",
                    inputs=f"{len(statuses)} bodies ({len(encodings())} encodings x raw/escaped/UTF-16 JSON) + a "
                           f"{len(huge) / 1e6:.0f} MB body",
                    result=f"0 5xx; {ok} analysed, {len(statuses) - ok} refused (400/422) with a problem detail "
                           "naming the body; "
                           "10 MB refused 413 (limit named); the next request served")


def test_cli_file_inputs_refuse_directories_missing_files_and_binaries(runner: CliRunner, tmp_path: Path,
                                                                       reliability: Recorder) -> None:
    """The CLI reads what its operator names (it runs with the operator's own rights, so a path outside the
    working directory is not an escalation); what it must never do is crash, or treat a directory, a
    missing file or a binary as a report. Every refusal names the path and the problem."""
    directory = tmp_path / "reports"
    directory.mkdir()
    traversal = str(tmp_path / "reports" / ".." / ".." / "no-such-dir" / "report.txt")
    binary = sys.executable  # an existing file far outside the working directory, and not text
    commands = [
        ("analyze", "{path}"), ("batch", "{path}", "--out", str(tmp_path / "o.jsonl"), "--workers", "1"),
        ("ingest", "{path}", "--database", f"sqlite:///{tmp_path / 'r.db'}"),
        ("fhir", "convert", "{path}"), ("hl7", "ingest", "{path}", "--database", f"sqlite:///{tmp_path / 'r.db'}"),
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    engine.dispose()
    refusals = 0
    for command in commands:
        for path in (str(directory), traversal, binary):
            args = [a.format(path=path) for a in command]
            code, out, err = _cli(runner, *args)
            assert "Traceback" not in out + err, args
            assert code != 0, (args, out[:200])
            assert Path(path).name in err or path in err or "reports" in err, (args, err)
            refusals += 1
    env = {**os.environ, "CALCITRACK_KB_DIR": str(tmp_path / ".." / ".." / "etc")}
    report = tmp_path / "r.txt"
    report.write_text(REPORT_EN, encoding="utf-8")
    kb = subprocess.run([sys.executable, "-m", "calcitrack", "analyze", str(report)], capture_output=True, text=True,
                        timeout=120, env=env)
    # The KB loader only opens its own file names inside the directory (sources.yaml ...); analyze then
    # degrades to findings without assessments and says why, naming the directory.
    assert "Traceback" not in kb.stderr and "knowledge base unavailable" in kb.stderr, kb.stderr[-500:]
    assert "sources.yaml" in kb.stderr and "etc" in kb.stderr
    reliability.row(area="security", check="Path traversal and non-report paths on CLI file inputs",
                    inputs=f"{refusals} runs: analyze, batch, ingest, fhir convert, hl7 ingest x (directory, ../ "
                           "path to a missing file, a binary outside the tree); CALCITRACK_KB_DIR=../../etc",
                    result=f"{refusals} refusals, each naming the path and the problem (exit != 0); bad KB dir: a "
                           "warning naming it, findings without assessments; 0 tracebacks")
