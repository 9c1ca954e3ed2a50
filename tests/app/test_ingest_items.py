"""The ingest use case over files, with the real KB and NLP, on SQLite and PostgreSQL: each item in its own
transaction, bad lines reported by number and skipped, reruns unchanged, pre-analysed lines stored as is,
and the interval change computed from sizes when the report does not state it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from calcitrack.app.ingest import default_analyzer, ingest_items, parse_line, read_items
from calcitrack.errors import InputError
from calcitrack.models import Report
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t


def _report(report_id: str, size: int, date: str) -> dict[str, str]:
    return {
        "id": report_id, "patient_id": "APP-P1", "date": date, "modality": "us", "lang": "en",
        "text": f"ABDOMINAL ULTRASOUND\nFindings: A {size} mm coarse calcification with acoustic shadowing is seen "
                f"in segment VI of the liver.\nImpression: {size} mm calcification in segment VI.",
    }


def test_a_file_of_reports_with_a_bad_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "reports.jsonl"
    analysed = default_analyzer(Report.model_validate({**_report("APP-0", 5, "2024-06-01"), "modality": "US",
                                                       "patient_id": "APP-P0"}), None, "seed")
    lines = [json.dumps(_report("APP-1", 6, "2025-01-10")), "{not json", json.dumps(_report("APP-2", 11, "2025-07-15")),
             analysed.model_dump_json()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors: list[str] = []
    summary = ingest_items(engine, read_items(str(path)), policy="seed", actor="test", source="test",
                           on_error=errors.append)
    assert (summary.stored, summary.unchanged, summary.amended) == (3, 0, 0)
    assert errors == summary.errors and len(errors) == 1 and errors[0].startswith("line 2: not valid JSON")
    with session_scope(engine) as session:
        rows = session.scalars(select(t.Lesion).join(t.Report).where(t.Report.report_id.in_(["APP-1", "APP-2"]))
                               .order_by(t.Lesion.id)).all()
        assert [(r.size_mm, r.reported_change, r.computed_change) for r in rows] == [
            (6.0, None, None), (11.0, None, "increased")]  # computed although the report states no change
        recomputed = session.scalars(select(t.Assessment).where(t.Assessment.lesion_pk == rows[1].id,
                                                                t.Assessment.recomputed.is_(True))).all()
        assert len(recomputed) == 1
        open_actions = sorted(session.scalars(select(t.FollowUp.action).where(
            t.FollowUp.status.in_(t.OPEN_STATUSES), t.FollowUp.patient_pk == rows[0].patient_pk)).all())
        assert open_actions == ["workup"]  # growth escalated the surveillance of report 1
    again = ingest_items(engine, read_items(str(path)), policy="seed", actor="test", source="test")
    assert (again.stored, again.unchanged, len(again.errors)) == (0, 3, 1)


def test_a_text_report_needs_a_patient(tmp_path: Path) -> None:
    path = tmp_path / "US-9.txt"
    path.write_text("Liver: 5 mm calcification.", encoding="utf-8")
    with pytest.raises(InputError, match="needs --patient"):
        list(read_items(str(path)))
    (item,) = list(read_items(str(path), patient="P9", lang="en"))
    assert not isinstance(item, InputError) and item.report is not None
    assert (item.report.id, item.report.patient_id, item.report.lang) == ("US-9", "P9", "en")


def test_parse_line_names_the_line_and_the_field() -> None:
    with pytest.raises(InputError, match=r"line 3: unknown field\(s\) colour"):
        parse_line(json.dumps({**_report("X", 5, "2025-01-01"), "colour": "red"}), 3)
    with pytest.raises(InputError, match="line 4: missing field 'patient_id'"):
        parse_line(json.dumps({**_report("X", 5, "2025-01-01"), "patient_id": ""}), 4)
    item = parse_line(json.dumps(_report("X", 5, "2025-01-01")), 5)
    assert item.report is not None and item.report.modality is not None and item.report.modality.value == "US"
