"""``calcitrack batch`` as a user runs it: real processes, exit codes, one-line errors, and kill -9 + --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.batch.helpers import make_rows, write_csv, write_jsonl
from tests.reliability import Recorder, scale

from calcitrack.batch import BatchOptions, run_batch
from calcitrack.batch.records import FINDINGS_SCHEMA, REPORTS_SCHEMA


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calcitrack", "batch", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_csv_to_parquet_with_chosen_columns_and_an_error_row(tmp_path: Path) -> None:
    rows = make_rows(30)
    src = write_csv(tmp_path / "in.csv", rows)
    with src.open("a", encoding="utf-8") as fh:
        fh.write("X1,broken,row,with,too many fields\n")
    result = run(str(src), "--out", str(tmp_path / "out"), "--format", "parquet", "--text-column", "report_text",
                 "--id-column", "accession", "--workers", "1", "--chunk-size", "8")
    assert result.returncode == 1, result.stderr
    assert "30 analysed, 1 rejected" in result.stderr and "Traceback" not in result.stderr
    errors = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    # three texts span two lines each, so data row 31 starts on line 35
    assert errors == [{"row": 31, "line": 35, "error": f"{src}: row 31 (line 35): 5 fields, the header has 4"}]
    findings, reports = pq.read_table(tmp_path / "out" / "findings"), pq.read_table(tmp_path / "out" / "reports")
    assert findings.schema.equals(FINDINGS_SCHEMA) and reports.schema.equals(REPORTS_SCHEMA)
    assert reports.column("report_id").to_pylist() == [r["id"] for r in rows]
    assert set(findings.column("action").to_pylist()) - {None} <= {"no_followup", "surveillance", "workup",
                                                                    "urgent", "out_of_scope"}


def make_input(kind: str, directory: Path) -> Path:
    """A bad input of the given kind."""
    if kind == "missing":
        return directory / "missing.jsonl"
    if kind == "csv without text":
        return write_csv(directory / "in.csv", make_rows(2))
    if kind == "empty":
        (directory / "e.jsonl").write_bytes(b"")
        return directory / "e.jsonl"
    if kind == "blank lines":
        (directory / "b.jsonl").write_text("\n\n", encoding="utf-8")
        return directory / "b.jsonl"
    if kind == "unknown suffix":
        (directory / "r.txt").write_text("x", encoding="utf-8")
        return directory / "r.txt"
    return write_jsonl(directory / "in.jsonl", make_rows(2))


@pytest.mark.parametrize(("kind", "args", "message"), [
    ("missing", (), "missing.jsonl: no such file"),
    ("csv without text", (), "in.csv: no column 'text' (columns: accession, report_text, modality, date); "
                             "choose one with --text-column"),
    ("empty", (), "e.jsonl: empty file"),
    ("blank lines", (), "b.jsonl: no reports"),
    ("unknown suffix", (), "pass --input-format"),
    ("good", ("--chunk-size", "0"), "Invalid value for '--chunk-size'"),
    ("good", ("--out", "res.parquet", "--format", "jsonl"),
     "--out res.parquet: the extension .parquet means --format parquet, but --format jsonl was asked"),
])
def test_input_problems_are_one_line_and_exit_2(tmp_path: Path, kind: str, args: tuple[str, ...],
                                                  message: str) -> None:
    src = make_input(kind, tmp_path)
    if "--out" in args:  # the output named relative to tmp_path, so the message quotes it as given
        result = subprocess.run([sys.executable, "-m", "calcitrack", "batch", str(src), *args], capture_output=True,
                                text=True, timeout=300, cwd=tmp_path)
    else:
        result = run(str(src), "--out", str(tmp_path / "o.jsonl"), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "res.parquet").exists()
    if kind != "good" or "--out" in args:
        assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: ")


def _batch_processes(marker: str) -> list[int]:
    """Pids whose command line names ``marker`` (forked workers share their parent's command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.reliability
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path: Path, reliability: Recorder) -> None:
    count, chunk = scale(360, 6000), 12
    chunks = -(-count // chunk)
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(count))
    reference = tmp_path / "reference.jsonl"
    run_batch(BatchOptions(input=src, out=reference, workers=1, chunk_size=chunk))

    out = tmp_path / "killed.jsonl"
    checkpoint = tmp_path / "killed.jsonl.checkpoint.json"
    cmd = [sys.executable, "-m", "calcitrack", "batch", str(src), "--out", str(out), "--workers", "2",
           "--chunk-size", str(chunk)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done_at_kill = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if checkpoint.exists():
            done_at_kill = json.loads(checkpoint.read_text(encoding="utf-8"))["chunks_done"]
            if done_at_kill >= 1:
                os.kill(proc.pid, signal.SIGKILL)
                break
        time.sleep(0.002)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed: {proc.returncode}"
    after_kill = json.loads(checkpoint.read_text(encoding="utf-8"))["chunks_done"]
    assert 1 <= after_kill < chunks, f"killed after {after_kill} of {chunks} chunks: not mid-run"
    written_at_kill = len(out.read_bytes().splitlines())
    for _ in range(100):  # the workers die with their parent (PR_SET_PDEATHSIG): no orphan keeps a core busy
        if not _batch_processes(str(out)):
            break
        time.sleep(0.05)
    assert _batch_processes(str(out)) == []

    # the number of workers is not part of a run's identity: resume on one (and build one pipeline, not two)
    resumed = run(str(src), "--out", str(out), "--workers", "1", "--chunk-size", str(chunk), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after {after_kill} chunks" in resumed.stderr
    lines = out.read_bytes().splitlines()
    ids = [json.loads(line)["report"]["id"] for line in lines]
    lost = count - len(set(ids))
    duplicated = len(ids) - len(set(ids))
    assert (lost, duplicated) == (0, 0)
    assert out.read_bytes() == reference.read_bytes()
    assert not checkpoint.exists()
    reliability.row(
        area="faults", check="kill -9 of `calcitrack batch` (2 workers) mid-run, then --resume",
        inputs=f"{count:,} reports, chunk size {chunk} ({chunks} chunks), JSONL out",
        faults=f"SIGKILL of the main process after {after_kill} of {chunks} chunks were checkpointed "
               f"({written_at_kill:,} lines on disk); workers died with it",
        result=f"resumed: {len(lines):,} rows, {lost} lost, {duplicated} duplicated, byte-identical to an "
               f"uninterrupted run")
