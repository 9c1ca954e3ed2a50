"""analyze / batch / eval as a user runs them: a real process, plus the Typer app in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REPORT = "LIVER: Normal size. A 4 mm punctate calcification in segment VII.\nIMPRESSION: Benign calcification."


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True,
                          input=stdin, timeout=300)


def test_analyze_json_from_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = run("analyze", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    analysis = json.loads(result.stdout)
    assert analysis["report"]["lang"] == "en"
    first = analysis["findings"][0]
    assert (first["organ"], first["site"], first["size_mm"]) == ("liver", "segment_VII", 4.0)
    assert REPORT[first["evidence"]["start"]:first["evidence"]["end"]] == first["evidence"]["text"]


def test_analyze_text_from_stdin_with_context() -> None:
    result = run("analyze", "-", "--format", "text", "--context", '{"known_primary_cancer": "colorectal"}',
                 stdin=REPORT)
    assert result.returncode == 0, result.stderr
    assert "[[calcification]]{f1}" in result.stdout
    # the impression restates the lesion: one lesion, two mentions, one assessment
    assert "l1 [f1, f2]: liver, site=segment_VII, size_mm=4.0" in result.stdout
    assert result.stdout.count("    action: ") == 1 and "Report action: " in result.stdout


def test_analyze_in_process_with_cli_runner(tmp_path: Path) -> None:
    from calcitrack.cli import app as app_module

    if "analyze" not in {c.name for c in app_module.app.registered_commands}:
        app_module._register_all()
    path = tmp_path / "r.txt"
    path.write_text("Calcification hépatique de 2,5 cm du segment VI.", encoding="utf-8")
    result = CliRunner().invoke(app_module.app, ["analyze", str(path), "--format", "json", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"][0]["size_mm"] == 25.0


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty report"), (b"   \n\t ", "empty report"), (b"\x00\x01\x02binary\x00", "binary")],
)
def test_analyze_bad_input_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run("analyze", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "bad.txt" in lines[0]
    assert "Traceback" not in result.stderr


def test_analyze_unknown_policy_is_one_line_naming_the_known_ones_exit_2(tmp_path: Path) -> None:
    """The issue: it printed "knowledge base unavailable", dropped every assessment and exited 0."""
    path = tmp_path / "r.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = run("analyze", str(path), "--policy", "bogus", "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "error: --policy 'bogus': unknown policy; known policies: seed, standard"


@pytest.mark.parametrize("terminal", [True, False])
def test_analyze_a_large_report_shows_a_status_only_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  terminal: bool) -> None:
    """Over STATUS_BYTES a spinner goes to stderr on a terminal; a script capturing stderr sees nothing extra."""
    import io

    from rich.console import Console

    from calcitrack.cli import app as app_module
    from calcitrack.cli import nlp_cmds

    if "analyze" not in {c.name for c in app_module.app.registered_commands}:
        app_module._register_all()
    path = tmp_path / "r.txt"
    path.write_text(REPORT, encoding="utf-8")
    stderr = io.StringIO()
    monkeypatch.setattr(nlp_cmds, "err_console", Console(file=stderr, force_terminal=terminal, width=80))
    monkeypatch.setattr(nlp_cmds, "STATUS_BYTES", 10)
    result = CliRunner().invoke(app_module.app, ["analyze", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"]
    assert ("analysing a 0.0 MB report..." in stderr.getvalue()) is terminal


def test_analyze_endless_stream_is_refused_after_the_limit() -> None:
    """/dev/zero never ends: the command reads one byte past the limit, then refuses, instead of filling memory."""
    result = run("analyze", "/dev/zero")
    assert result.returncode == 2 and "/dev/zero" in result.stderr and "more than 20,000,000 bytes" in result.stderr
    assert "Traceback" not in result.stderr


def test_analyze_utf16_file_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("Calcification hépatique de 3 mm.".encode("utf-16"))
    result = run("analyze", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["size_mm"] == 3.0


def test_analyze_latin1_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Calcification hépatique de 3 mm.".encode("latin-1"))
    result = run("analyze", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["size_mm"] == 3.0
    assert "Latin-1" in result.stderr


def test_analyze_missing_file_and_bad_context(tmp_path: Path) -> None:
    result = run("analyze", str(tmp_path / "nope.txt"))
    assert result.returncode == 2 and "nope.txt" in result.stderr and "Traceback" not in result.stderr
    path = tmp_path / "r.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = run("analyze", str(path), "--context", "{not json")
    assert result.returncode == 2 and "--context" in result.stderr


def test_batch_keeps_order_ids_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 7, "text": REPORT}),
        "{not json",
        json.dumps({"id": "b", "text": "Pas de calcification splénique.", "lang": "fr"}),
        json.dumps({"id": "c"}),
        json.dumps({"id": "d", "text": 42}),
        json.dumps({"id": "e", "text": "Normal study.", "modality": "US", "date": "2026-11-01"}),
        json.dumps({"id": "f", "text": "x", "modality": "PET"}),
    ]
    inp, out, err = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    inp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("batch", str(inp), "--out", str(out), "--errors", str(err))
    assert result.returncode == 1
    analyses = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [a["report"]["id"] for a in analyses] == ["7", "b", "e"]
    assert analyses[1]["findings"][0]["negated"] is True
    errors = [json.loads(x) for x in err.read_text(encoding="utf-8").splitlines()]
    assert [e["line"] for e in errors] == [2, 4, 5, 7]
    assert "invalid JSON" in errors[0]["error"] and "text" in errors[1]["error"] and "modality" in errors[3]["error"]


def test_batch_all_good_exits_zero(tmp_path: Path) -> None:
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": REPORT}) + "\n", encoding="utf-8")
    assert run("batch", str(inp), "--out", str(out)).returncode == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_eval_prints_metrics_and_json_last_line(tmp_path: Path) -> None:
    text = "A 4 mm calcification in the spleen. No liver calcification."
    gold = {"id": "x1", "lang": "en", "text": text, "findings": [
        {"anchor": "calcification", "occ": 0, "start": 7, "end": 20, "organ": "spleen", "negated": False,
         "uncertain": False, "historical": False, "size_mm": 4, "count": "single"},
        {"anchor": "calcification", "occ": 1, "start": 46, "end": 59, "organ": "liver", "negated": True,
         "uncertain": False, "historical": False, "size_mm": None, "count": None},
    ]}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(gold) + "\n", encoding="utf-8")
    result = run("eval", str(path), "--show")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["en"]["recall"] == 1.0 and metrics["en"]["negated_f1"] == 1.0
    assert "precision" in result.stdout


@pytest.mark.skipif(not (SHARED / "corpus" / "gold" / "dev.jsonl").exists(), reason="../shared/corpus not present")
def test_eval_on_dev_gold() -> None:
    result = run("eval", str(SHARED / "corpus" / "gold" / "dev.jsonl"))
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["en"]["recall"] >= 0.97 and metrics["fr"]["recall"] >= 0.97
