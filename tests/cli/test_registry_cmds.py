"""Registry commands as a user runs them: real processes, real SQLite and PostgreSQL databases.

Pre-analysed JSONL lines (Analysis objects built with the packaged KB) keep these tests independent of
the NLP; the text-report tests at the end go through the whole pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.registry.cli_helpers import loads, run_cli, write_jsonl
from tests.registry.conftest import liver, make_analysis

from calcitrack.kb import get_kb
from calcitrack.models import Analysis
from calcitrack.registry import session_scope
from calcitrack.registry.queries import row_counts


def _series() -> list[Analysis]:
    kb = get_kb()
    return [
        make_analysis(kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse", acoustic_shadow=True)]),
        make_analysis(kb, "r2", "P1", "2025-07-15", [liver(6, pattern="coarse", interval_change="stable")]),
        make_analysis(kb, "r3", "P1", "2026-01-20", [liver(11, pattern="coarse", associated_mass=True)]),
    ]


def _counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return row_counts(session)


def test_db_upgrade_creates_then_reports_up_to_date(db_url: str) -> None:
    first = run_cli("db", "upgrade", "--database", db_url)
    assert first.returncode == 0, first.stderr
    assert "empty ->" in first.stdout
    again = run_cli("db", "upgrade", "--database", db_url)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_db_upgrade_refuses_a_mistyped_sqlite_directory_unless_create(tmp_path: Path) -> None:
    """The issue: a mistyped path silently created directories (and an empty registry) instead of failing."""
    url = f"sqlite:///{tmp_path / 'typo' / 'deeper' / 'registry.db'}"
    refused = run_cli("db", "upgrade", "--database", url)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == (f"error: {tmp_path / 'typo' / 'deeper'}: no such directory for the SQLite "
                                      f"database {url}; check the path, or pass --create to create it")
    assert not (tmp_path / "typo").exists()
    created = run_cli("db", "upgrade", "--database", url, "--create")
    assert created.returncode == 0, created.stderr
    assert "empty ->" in created.stdout and (tmp_path / "typo" / "deeper" / "registry.db").is_file()


def test_commands_refuse_a_database_without_schema(db_url: str) -> None:
    result = run_cli("worklist", "--database", db_url)
    assert result.returncode == 2
    assert "calcitrack db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line() -> None:
    result = run_cli("worklist", "--database", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot connect to database")
    assert "secret" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_series_via_cli_is_idempotent_and_escalated(db_url: str, engine: Engine, tmp_path: Path) -> None:
    series = write_jsonl(tmp_path / "series.jsonl", _series())
    first = run_cli("ingest", str(series), "--database", db_url, "--responsible", "Dr Martin", "--by", "tester")
    assert first.returncode == 0, first.stderr
    assert "3 stored" in first.stdout
    before = _counts(engine)
    again = run_cli("ingest", str(series), "--database", db_url)
    assert again.returncode == 0 and "3 unchanged" in again.stdout
    assert _counts(engine) == before

    rows = loads(run_cli("worklist", "--format", "json", "--database", db_url))
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    # the responsible clinician and the date of the exam that made the recommendation (issue 17)
    assert (row["responsible"], row["exam_date"], row["report_id"]) == ("Dr Martin", "2026-01-20", "r3")
    table = run_cli("worklist", "--database", db_url)
    assert table.returncode == 0, table.stderr
    assert "exam date" in table.stdout and "responsible" in table.stdout
    assert "2026-01-20" in table.stdout and "Dr Martin" in table.stdout
    assert row["action"] in ("workup", "urgent") and row["patient_id"] == "P1"
    # due soon after 2026-01-20: past due today, so shown overdue with no sweep (stored status unchanged)
    assert (row["status"], row["stored_status"]) == ("overdue", "pending")
    assert {"follow_up_id", "finding_id", "due_date", "what"} <= set(row)

    story = loads(run_cli("timeline", "P1", "--format", "json", "--database", db_url))
    assert isinstance(story, dict)
    assert [f["action"] for f in story["follow_ups"]] == ["surveillance", "surveillance", row["action"]]
    assert story["reports"][2]["findings"][0]["computed_change"] == "increased"
    text = run_cli("timeline", "P1", "--database", db_url)
    assert text.returncode == 0 and "superseded by" in text.stdout


def test_conflicting_and_bad_lines(db_url: str, engine: Engine, tmp_path: Path) -> None:
    good = _series()
    write_jsonl(tmp_path / "a.jsonl", good[:1])
    assert run_cli("ingest", str(tmp_path / "a.jsonl"), "--database", db_url).returncode == 0
    changed = good[0].model_copy(update={"report": good[0].report.model_copy(update={"text": "amended text"})})
    lines = [
        good[1].model_dump_json(),
        "{not json",
        json.dumps({"id": "x", "patient_id": "P2", "date": "2025-13-01", "text": "t"}),
        changed.model_dump_json(),
        good[2].model_dump_json(),
    ]
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("ingest", str(path), "--database", db_url)
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3, result.stderr
    assert errors[0].startswith("error: line 2: not valid JSON")
    assert errors[1].startswith("error: line 3") and "date" in errors[1]
    assert errors[2].startswith("error: line 4 (report r1)") and "--amend" in errors[2]
    assert "2 stored" in result.stdout  # lines 1 and 5 went in
    amended = run_cli("ingest", str(path), "--amend", "--database", db_url, "--format", "json")
    assert amended.returncode == 2  # the two malformed lines are still malformed
    assert json.loads(amended.stdout)["amended"] == 1


def test_follow_up_status_transfer_sweep_and_metrics(db_url: str, engine: Engine, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", _series()[:1])
    assert run_cli("ingest", str(tmp_path / "a.jsonl"), "--database", db_url).returncode == 0
    fid = str(loads(run_cli("worklist", "--format", "json", "--database", db_url))[0]["follow_up_id"])  # type: ignore[index]

    no_reason = run_cli("follow-up", fid, "--set", "cancelled", "--database", db_url)
    assert no_reason.returncode == 2 and "reason" in no_reason.stderr
    moved = run_cli("follow-up", fid, "--set", "notified", "--responsible", "Dr Nguyen", "--by", "nurse",
                    "--format", "json", "--database", db_url)
    assert loads(moved) == {"follow_up_id": int(fid), "status": "notified", "responsible": "Dr Nguyen"}

    swept = loads(run_cli("follow-up", "sweep", "--as-of", "2025-06-01", "--format", "json", "--database", db_url))
    assert swept == {"as_of": "2025-06-01", "overdue": [int(fid)], "escalated": [int(fid)]}
    overdue = loads(run_cli("worklist", "--status", "overdue", "--format", "json", "--database", db_url))
    assert [r["escalated"] for r in overdue] == [True]  # type: ignore[index,union-attr]

    done = run_cli("follow-up", fid, "--set", "done", "--reason", "ultrasound done", "--database", db_url)
    assert done.returncode == 0, done.stderr
    reopened = run_cli("follow-up", fid, "--set", "pending", "--database", db_url)
    assert reopened.returncode == 2 and "done" in reopened.stderr
    metrics = loads(run_cli("metrics", "--format", "json", "--database", db_url))
    assert isinstance(metrics, dict)
    assert metrics["done"] == 1 and metrics["open"] == 0 and metrics["completion_rate"] == 1.0
    assert metrics["by_action"]["surveillance"]["done"] == 1
    story = loads(run_cli("timeline", "P1", "--format", "json", "--database", db_url))
    events = story["follow_ups"][0]["events"]  # type: ignore[index]
    assert [e["event"] for e in events] == ["created", "transfer", "status", "status", "escalated", "status"]
    assert events[1]["actor"] == "nurse"
    assert run_cli("metrics", "--database", db_url).returncode == 0


def test_missing_file_and_bad_id(db_url: str, engine: Engine) -> None:
    missing = run_cli("ingest", "/nonexistent.jsonl", "--database", db_url)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad = run_cli("follow-up", "abc", "--set", "done", "--database", db_url)
    assert bad.returncode == 2 and "abc" in bad.stderr
    unknown = run_cli("timeline", "NOBODY", "--database", db_url)
    assert unknown.returncode == 2 and "NOBODY" in unknown.stderr


# --- text reports through the whole pipeline (NLP + engine + registry) ------------------------------------


def test_txt_report_needs_patient_and_is_ingested(db_url: str, engine: Engine, tmp_path: Path) -> None:
    report = tmp_path / "US-1.txt"
    report.write_text("Findings: 6 mm calcification in segment VI of the liver.\n", encoding="utf-8")
    no_patient = run_cli("ingest", str(report), "--database", db_url)
    assert no_patient.returncode == 2 and "--patient" in no_patient.stderr
    result = run_cli("ingest", str(report), "--patient", "PT-9", "--date", "2025-02-01", "--modality", "us",
                     "--policy", "seed", "--database", db_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reports"][0]["report_id"] == "US-1"
    assert _counts(engine)["reports"] == 1


def test_demo_ingests_examples_and_prints_worklist(db_url: str) -> None:
    result = run_cli("demo", "--database", db_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    patients = {r["patient_id"] for r in rows}
    assert {"DEMO-001", "DEMO-004"} <= patients
    again = run_cli("demo", "--database", db_url)
    assert again.returncode == 0 and "unchanged" in again.stdout


@pytest.mark.parametrize("stdin", [True])
def test_ingest_from_stdin(db_url: str, engine: Engine, stdin: bool) -> None:
    lines = "".join(a.model_dump_json() + "\n" for a in _series())
    result = run_cli("ingest", "-", "--database", db_url, stdin=lines)
    assert result.returncode == 0, result.stderr
    assert _counts(engine)["reports"] == 3
