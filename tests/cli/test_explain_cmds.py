"""``explain``, ``ask`` and ``eval-qa`` as a user runs them: a real process, the packaged KB."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calcitrack.assess import assess
from calcitrack.kb import get_kb
from calcitrack.models import Analysis, Finding, PatientContext, Report

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_POLICY"}
    return subprocess.run(
        [sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True, env=env, timeout=180, cwd=ROOT,
        input=stdin if stdin is not None else "",
    )


@pytest.fixture(scope="module")
def analysis_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kb = get_kb()
    finding = Finding(organ="liver", site="segment_VII", count="single", size_mm=4, pattern="punctate")
    assessment = assess(finding, PatientContext(), kb=kb)
    analysis = Analysis(
        report=Report(text="Foyer calcique ponctué de 4 mm du segment VII.", lang="fr"),
        findings=[finding],
        assessments=[assessment],
        kb_version=kb.kb_version,
    )
    path = tmp_path_factory.mktemp("explain") / "analysis.json"
    path.write_text(analysis.model_dump_json(indent=2), encoding="utf-8")
    return path


def test_explain_defaults_to_the_report_language(analysis_file: Path) -> None:
    result = run("explain", str(analysis_file), "--audience", "radiologist")
    assert result.returncode == 0, result.stderr
    assert "Calcification ponctuée de 4 mm du segment VII" in result.stdout


@pytest.mark.parametrize(
    ("audience", "fmt", "expected"),
    [
        ("radiologist", "text", "most consistent with a calcified granuloma; no follow-up imaging needed."),
        ("clinician", "markdown", "# Clinician summary"),
        ("patient", "html", "<!DOCTYPE html>"),
        ("patient", "text", "No more scans are needed for this."),
    ],
)
def test_explain_every_audience(analysis_file: Path, audience: str, fmt: str, expected: str) -> None:
    result = run("explain", str(analysis_file), "--audience", audience, "--lang", "en", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "Foyer calcique" not in result.stdout  # the report text is never echoed


def test_explain_json(analysis_file: Path) -> None:
    result = run("explain", str(analysis_file), "--audience", "patient", "--lang", "fr", "--format", "json")
    data = json.loads(result.stdout)
    assert data["audience"] == "patient" and data["lang"] == "fr"
    assert all(item["origin"] for section in data["sections"] for item in section["items"])


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "file not found"), ("{not json", "invalid JSON"), ('{"findings": 3}', "invalid Analysis JSON")],
)
def test_explain_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("explain", str(path))
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(importlib.util.find_spec("calcitrack.nlp") is None, reason="calcitrack.nlp not written yet")
def test_explain_a_text_report(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(
        "Liver ultrasound. Findings: 4 mm punctate calcification in segment VII. No duct dilatation.",
        encoding="utf-8",
    )
    result = run("explain", str(report), "--audience", "radiologist", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "calcification" in result.stdout.lower()


def test_explain_reads_an_analysis_json_from_stdin(analysis_file: Path) -> None:
    """``-`` is stdin, as for ``analyze``: the same output as from the file."""
    from_file = run("explain", str(analysis_file), "--audience", "radiologist")
    piped = run("explain", "-", "--audience", "radiologist", stdin=analysis_file.read_text(encoding="utf-8"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == from_file.stdout and "Calcification ponctuée de 4 mm du segment VII" in piped.stdout


def test_explain_reads_a_report_text_from_stdin() -> None:
    result = run("explain", "-", "--audience", "radiologist", "--lang", "en",
                 stdin="Liver ultrasound. Findings: 4 mm punctate calcification in segment VII.")
    assert result.returncode == 0, result.stderr
    assert "calcification" in result.stdout.lower()


@pytest.mark.parametrize(("stdin", "message"), [("", "error: <stdin>: empty report"),
                                                ("{oops", "error: <stdin>: invalid JSON at line 1")])
def test_explain_bad_stdin_is_one_line_and_exit_2(stdin: str, message: str) -> None:
    result = run("explain", "-", stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_ask_json_contract() -> None:
    result = run("ask", "Est-ce grave une calcification du foie ?", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "question",
        "lang",
        "answered",
        "answer",
        "condition_id",
        "passage_id",
        "sources",
        "score",
        "alternatives",
    }
    assert data["answered"] and data["lang"] == "fr" and data["sources"]


def test_ask_refuses_off_domain_in_text() -> None:
    result = run("ask", "How do I bake bread?")
    assert result.returncode == 0
    assert "please ask your doctor" in result.stdout
    assert "Sources" not in result.stdout


def test_eval_qa_prints_accuracies() -> None:
    result = run("eval-qa", "--no-misses")
    assert result.returncode == 0, result.stderr
    assert "top-1 accuracy: " in result.stdout and "top-3 accuracy: " in result.stdout
    assert "refusal accuracy: 1.000" in result.stdout
    top1 = float(result.stdout.split("top-1 accuracy: ")[1].split()[0])
    assert top1 >= 0.9


def test_eval_qa_missing_file() -> None:
    result = run("eval-qa", "nope.yaml")
    assert result.returncode == 2 and "nope.yaml" in result.stderr
