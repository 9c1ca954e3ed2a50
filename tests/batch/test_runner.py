"""The runner end to end, in this process and in real worker processes: formats, order, errors, resume rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.batch.helpers import write_csv, write_jsonl, write_parquet

from calcitrack.batch import BatchOptions, run_batch
from calcitrack.batch.records import FINDINGS_SCHEMA, REPORTS_SCHEMA, Columns
from calcitrack.batch.work import OutputFormat
from calcitrack.errors import InputError
from calcitrack.models import Analysis


def findings_and_actions(analyses: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must be identical across engines: each finding and its action, per report, in order."""
    out = []
    for a in analyses:
        actions = {x["finding_id"]: x["action"] for x in a["assessments"]}
        for f in a["findings"]:
            out.append((a["report"]["id"], f["id"], f["organ"], f["size_mm"], f["negated"], actions.get(f["id"])))
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_one_worker_vs_two_workers_identical_and_in_order(tmp_path: Path, corpus: list[dict[str, Any]]) -> None:
    rows = [*corpus[:40], {"id": "bad", "text": 3}, *corpus[40:]]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    one = run_batch(BatchOptions(input=src, out=tmp_path / "one.jsonl", workers=1, chunk_size=7))
    two = run_batch(BatchOptions(input=src, out=tmp_path / "two.jsonl", workers=2, chunk_size=7))
    assert (one.workers, two.workers) == (1, 2) and len(two.peak_rss_mb) == 2
    assert (one.ok, one.failed, one.chunks) == (96, 1, 14)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    analyses = read_jsonl(tmp_path / "one.jsonl")
    assert [a["report"]["id"] for a in analyses] == [r["id"] for r in corpus]
    assert all(a["timings"] == {} for a in analyses)  # deterministic bytes: no wall-clock figures
    Analysis.model_validate(analyses[0])
    assert sum(len(a["findings"]) for a in analyses) == one.findings > 40
    errors = read_jsonl(tmp_path / "one.errors.jsonl")
    assert errors == [{"row": 41, "line": 41, "error": f"{src}:41: field 'text' must be a string"}]
    assert not (tmp_path / "one.jsonl.checkpoint.json").exists()


def test_parquet_tables_are_typed_and_match_the_jsonl(tmp_path: Path, corpus: list[dict[str, Any]]) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", corpus)
    run_batch(BatchOptions(input=src, out=tmp_path / "out.jsonl", workers=1, chunk_size=25))
    stats = run_batch(BatchOptions(input=src, out=tmp_path / "pq", fmt=OutputFormat.parquet, workers=2,
                                   chunk_size=25))
    assert sorted(p.name for p in (tmp_path / "pq" / "findings").iterdir()) == [
        f"part-{i:06d}.parquet" for i in range(4)]
    assert pq.read_schema(tmp_path / "pq" / "findings" / "part-000000.parquet").equals(FINDINGS_SCHEMA)
    findings = pq.read_table(tmp_path / "pq" / "findings")
    reports = pq.read_table(tmp_path / "pq" / "reports")
    assert findings.schema.equals(FINDINGS_SCHEMA) and reports.schema.equals(REPORTS_SCHEMA)
    assert reports.num_rows == 96 and findings.num_rows == stats.findings
    analyses = read_jsonl(tmp_path / "out.jsonl")
    flat = [(r["report_id"], r["finding_id"], r["organ"], r["size_mm"], r["negated"], r["action"])
            for r in findings.to_pylist()]
    assert flat == findings_and_actions(analyses)
    first = reports.to_pylist()[0]
    assert (first["source_row"], first["report_id"], first["modality"], str(first["date"])) == (1, "r00000", "US",
                                                                                               "2026-01-10")
    assert {r["action"] for r in reports.to_pylist()} >= {None, "no_followup"}
    manifest = json.loads((tmp_path / "pq" / "_calcitrack.json").read_text(encoding="utf-8"))
    assert manifest["reports"] == 96 and not (tmp_path / "pq" / "errors.jsonl").exists()


def test_csv_and_parquet_inputs_give_the_same_findings(tmp_path: Path, corpus: list[dict[str, Any]]) -> None:
    rows = corpus[:36]
    outs = {}
    for name, src, columns in (
        ("jsonl", write_jsonl(tmp_path / "in.jsonl", rows), Columns()),
        ("csv", write_csv(tmp_path / "in.csv", rows), Columns(text="report_text", id="accession")),
        ("parquet", write_parquet(tmp_path / "in.parquet", rows), Columns()),
    ):
        run_batch(BatchOptions(input=src, out=tmp_path / f"{name}.jsonl", workers=1, columns=columns))
        outs[name] = findings_and_actions(read_jsonl(tmp_path / f"{name}.jsonl"))
    assert outs["jsonl"] == outs["csv"] == outs["parquet"] and len(outs["jsonl"]) > 15


def test_resume_is_refused_when_input_or_options_changed(tmp_path: Path, corpus: list[dict[str, Any]]) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", corpus[:10])
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match="nothing to resume: no checkpoint"):
        run_batch(BatchOptions(input=src, out=out, workers=1, resume=True))
    # a checkpoint as an interrupted run leaves it: made by a real run, then put back
    run_batch(BatchOptions(input=src, out=out, workers=1, chunk_size=4))
    from calcitrack.batch.checkpoint import Checkpoint
    from calcitrack.batch.sources import InputFormat, fingerprint

    options = {"format": "jsonl", "input_format": "jsonl", "chunk_size": 4, "text_column": "text",
               "id_column": "id", "lang_column": "lang", "policy": "standard", "kb_version": _kb_version()}
    checkpoint = Checkpoint(input=fingerprint(src, InputFormat.jsonl).as_dict(), options=options)
    checkpoint.save(tmp_path / "out.jsonl.checkpoint.json")
    with pytest.raises(InputError, match=r"cannot resume: option chunk_size was 4, now 5"):
        run_batch(BatchOptions(input=src, out=out, workers=1, chunk_size=5, resume=True))
    with pytest.raises(InputError, match=r"an interrupted run left a checkpoint \(0 chunks written\); continue it "
                                         r"with --resume"):
        run_batch(BatchOptions(input=src, out=out, workers=1, chunk_size=4))
    write_jsonl(src, corpus[:11])
    with pytest.raises(InputError, match="cannot resume: the input file changed"):
        run_batch(BatchOptions(input=src, out=out, workers=1, chunk_size=4, resume=True))


def test_parquet_output_never_overwrites_a_foreign_directory(tmp_path: Path, corpus: list[dict[str, Any]]) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", corpus[:3])
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and not a calcitrack output"):
        run_batch(BatchOptions(input=src, out=foreign, fmt=OutputFormat.parquet, workers=1))
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def _kb_version() -> str:
    from calcitrack.kb import get_kb

    return get_kb().kb_version
