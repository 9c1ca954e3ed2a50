"""Records in and rows out: input fields as a Report (or a reason naming the place and field), and an
Analysis as typed rows of the findings, lesions and reports tables, written to and read from Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from calcitrack.app.analyze import analyze
from calcitrack.batch.records import (
    FINDINGS_SCHEMA,
    LESIONS_SCHEMA,
    REPORTS_SCHEMA,
    Columns,
    empty_fields,
    fields_from_json_line,
    fields_from_mapping,
    finding_rows,
    lesion_assessments,
    lesion_rows,
    report_from_fields,
    report_row,
    top_action,
)
from calcitrack.errors import InputError
from calcitrack.lesions import group_lesions
from calcitrack.models import Action, Analysis, Assessment, Characterisation, Finding, Organ, Report, Summary

TEXT = ("LIVER: A 4 mm punctate calcification in segment VII, with acoustic shadowing. No splenic calcification.\n"
        "IMPRESSION: tiny hepatic calcification in segment VII.")


def _fields(**values: Any) -> dict[str, Any]:
    fields = empty_fields(4, 5, "in.csv: row 4 (line 5)")
    fields.update(values)
    return fields


def test_a_mapping_uses_the_chosen_columns_and_empty_cells_are_absent() -> None:
    columns = Columns(text="report_text", id="accession", lang="language")
    data = {"report_text": "LIVER: calcification.", "accession": "A7", "language": "", "modality": "",
            "date": "2026-02-03", "patient_id": "P1", "ignored": "x"}
    fields = fields_from_mapping(data, 4, 5, "in.csv: row 4 (line 5)", columns)
    assert (fields["text"], fields["id"], fields["lang"], fields["modality"]) == ("LIVER: calcification.", "A7",
                                                                                   None, None)
    report = report_from_fields(fields)
    assert (report.id, report.patient_id, str(report.date), report.lang) == ("A7", "P1", "2026-02-03", None)
    missing = fields_from_mapping({"accession": "A8"}, 6, 7, "in.csv: row 6 (line 7)", columns)
    assert missing["error"] == "in.csv: row 6 (line 7): missing field 'report_text'"


def test_a_json_line_becomes_fields_or_a_reason() -> None:
    columns = Columns()
    good = fields_from_json_line(b'{"id": 12, "text": "t", "lang": "fr"}', 3, "in.jsonl:3", columns)
    assert (good["row"], good["line"], good["id"], good["lang"], good["error"]) == (3, 3, 12, "fr", None)
    assert report_from_fields(good).id == "12"
    assert fields_from_json_line(b"[1, 2]", 4, "in.jsonl:4", columns)["error"] == "in.jsonl:4: expected a JSON object"
    assert fields_from_json_line(b"\xff{}", 5, "in.jsonl:5", columns)["error"].startswith("in.jsonl:5: not UTF-8")
    assert fields_from_json_line(b'{"text": ', 6, "in.jsonl:6", columns)["error"].startswith("in.jsonl:6: invalid JSON")


@pytest.mark.parametrize(("values", "message"), [
    ({"text": 42}, "in.csv: row 4 (line 5): field 'text' must be a string"),
    ({"text": "t", "id": True}, "in.csv: row 4 (line 5): field 'id' must be a string or an integer"),
    ({"text": "t", "lang": "de"}, "in.csv: row 4 (line 5): invalid value for lang"),
    ({"text": "t", "date": "2026-13-01"}, "in.csv: row 4 (line 5): invalid value for date"),
    ({"text": "t", "modality": "PET"}, "in.csv: row 4 (line 5): invalid value for modality"),
    ({"error": "in.csv: row 4 (line 5): 3 fields, the header has 4"}, "3 fields, the header has 4"),
])
def test_a_record_that_cannot_be_a_report_names_its_place_and_field(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        report_from_fields(_fields(**values))
    assert message in str(caught.value)


def test_a_record_without_id_is_named_by_its_row() -> None:
    assert report_from_fields(_fields(text="LIVER: normal.")).id == "4"


def test_rows_of_a_real_analysis_are_typed_and_survive_parquet(tmp_path: Path) -> None:
    """A report naming one hepatic lesion twice (findings, impression) and denying a splenic one."""
    analysis = analyze(Report(id="R1", text=TEXT, lang="en", modality="US", date="2026-04-05"), policy="standard")
    by_lesion = lesion_assessments(analysis)
    tables = {"findings": pa.Table.from_pylist(finding_rows(analysis, 9, by_lesion), schema=FINDINGS_SCHEMA),
              "lesions": pa.Table.from_pylist(lesion_rows(analysis, 9, by_lesion), schema=LESIONS_SCHEMA),
              "reports": pa.Table.from_pylist([report_row(analysis, 9, 11)], schema=REPORTS_SCHEMA)}
    for name, table in tables.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    findings = pq.read_table(tmp_path / "findings.parquet").to_pylist()
    lesions = pq.read_table(tmp_path / "lesions.parquet").to_pylist()
    (report,) = pq.read_table(tmp_path / "reports.parquet").to_pylist()

    liver = [f for f in findings if f["organ"] == "liver"]
    assert len(liver) == 2 and len({f["lesion_id"] for f in liver}) == 1  # two mentions of one lesion
    assert sorted(f["main_mention"] for f in liver) == [False, True]
    assert {f["action"] for f in liver} == {by_lesion[liver[0]["lesion_id"]].action.value}  # the lesion's action
    assert all(f["size_mm"] == 4.0 and f["site"] == "segment_VII" for f in liver if f["main_mention"])
    for f in findings:
        assert TEXT[f["evidence_start"]:f["evidence_end"]] == f["evidence_text"]
    spleen = [f for f in findings if f["organ"] == "spleen"]
    assert spleen and all(f["negated"] and f["action"] is None for f in spleen)

    current = [row for row in lesions if row["current"]]
    assert [(row["organ"], row["mentions"], row["sets_report_action"]) for row in current] == [("liver", 2, True)]
    assert current[0]["finding_ids"] == [f["finding_id"] for f in liver]
    assert current[0]["policy"] == analysis.policy

    assert (report["report_id"], report["source_row"], report["source_line"]) == ("R1", 9, 11)
    assert (report["modality"], str(report["date"]), report["lang"]) == ("US", "2026-04-05", "en")
    assert (report["findings"], report["affirmed_findings"]) == (len(findings), len(liver))
    assert (report["lesions"], report["current_lesions"]) == (len(lesions), 1)
    assert report["summary_lesion_id"] == current[0]["lesion_id"]
    assert report["action"] == (top_action(analysis).value if top_action(analysis) else None)
    assert report["schema_version"] == analysis.schema_version and report["text_chars"] == len(TEXT)


def test_counts_are_a_number_and_a_label() -> None:
    findings = [Finding(id="f1", organ=Organ.liver, count="single"),
                Finding(id="f2", organ=Organ.spleen, count=3),
                Finding(id="f3", organ=Organ.soft_tissue, count="multiple"),
                Finding(id="f4", organ=Organ.biliary)]
    analysis = Analysis(report=Report(id="C", text="x"), findings=findings, lesions=group_lesions(findings))
    rows = pa.Table.from_pylist(finding_rows(analysis, None), schema=FINDINGS_SCHEMA).to_pylist()
    assert [(r["count"], r["count_label"]) for r in rows] == [(1, "single"), (3, "multiple"), (None, "multiple"),
                                                               (None, None)]
    assert top_action(analysis) is None and report_row(analysis, None, None)["action"] is None


def test_lesion_rows_of_a_built_analysis() -> None:
    """Characterisation labels, conflicts as JSON text and a history-only lesion, typed by LESIONS_SCHEMA."""
    findings = [
        Finding(id="f1", organ=Organ.spleen, size_mm=4, count=1),
        Finding(id="f2", organ=Organ.spleen, count="multiple",
                characterisation=[Characterisation(label="granuloma"), Characterisation(label="stable")]),
        Finding(id="f3", organ=Organ.liver, historical=True),
    ]
    analysis = Analysis(report=Report(id="B1", text="x"), findings=findings, lesions=group_lesions(findings),
                        assessments=[Assessment(lesion_id="l1", finding_id="f1", action=Action.no_followup,
                                                rules_fired=["R1"])],
                        summary=Summary(action=Action.no_followup, lesion_id="l1", headline="No follow-up"))
    rows = lesion_rows(analysis, 7)
    table = pa.Table.from_pylist(rows, schema=LESIONS_SCHEMA)
    assert table.num_rows == 2
    first, history = table.to_pylist()
    assert (first["source_row"], first["finding_ids"], first["characterisation"]) == (7, ["f1", "f2"],
                                                                                      ["granuloma", "stable"])
    assert json.loads(first["conflicts"]) == {"count": ["1", "multiple"]}
    assert (first["action"], first["rules_fired"], first["sets_report_action"]) == ("no_followup", ["R1"], True)
    assert history["historical"] and not history["current"] and history["action"] is None
    assert history["policy"] == analysis.policy and history["recommendations"] == []
