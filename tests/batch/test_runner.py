"""The runner end to end, in this process and in real worker processes: formats, order, errors, resume rules."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.batch.helpers import write_csv, write_jsonl, write_parquet

from calcitrack.batch import BatchOptions, run_batch
from calcitrack.batch.records import FINDINGS_SCHEMA, LESIONS_SCHEMA, REPORTS_SCHEMA, Columns
from calcitrack.batch.runner import (
    ChunkEngine,
    Engine,
    InProcessEngine,
    engine_factory,
    output_format,
    register_engine,
)
from calcitrack.batch.sources import Item
from calcitrack.batch.work import ChunkResult, OutputFormat, WorkConfig
from calcitrack.errors import InputError
from calcitrack.models import Analysis


def findings_and_actions(analyses: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must be identical across engines: each finding and the action of its lesion, per report, in order."""
    out = []
    for a in analyses:
        actions = {x["lesion_id"]: x["action"] for x in a["assessments"]}
        lesion_of = {fid: lesion["id"] for lesion in a["lesions"] for fid in lesion["finding_ids"]}
        for f in a["findings"]:
            lesion = lesion_of[f["id"]]
            out.append((a["report"]["id"], f["id"], lesion, f["organ"], f["size_mm"], f["negated"],
                        actions.get(lesion)))
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
    flat = [(r["report_id"], r["finding_id"], r["lesion_id"], r["organ"], r["size_mm"], r["negated"], r["action"])
            for r in findings.to_pylist()]
    assert flat == findings_and_actions(analyses)
    first = reports.to_pylist()[0]
    assert (first["source_row"], first["report_id"], first["modality"], str(first["date"])) == (1, "r00000", "US",
                                                                                               "2026-01-10")
    assert {r["action"] for r in reports.to_pylist()} >= {None, "no_followup"}
    manifest = json.loads((tmp_path / "pq" / "_calcitrack.json").read_text(encoding="utf-8"))
    assert manifest["reports"] == 96 and not (tmp_path / "pq" / "errors.jsonl").exists()


def test_parquet_lesions_table_one_row_per_lesion(tmp_path: Path) -> None:
    """Schema 2.0: a lesion named in the findings and again in the impression is one lesions row; its two
    findings rows carry its lesion id and its one action; the reports row carries the summary."""
    rows = [
        {"id": "twice", "text": "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm.\n"
                                "IMPRESSION: Tiny hepatic calcifications."},
        {"id": "none", "text": "No hepatic calcification. The kidneys are normal."},
        {"id": "two", "text": "LIVER: A 4 mm punctate calcification in segment VII. SPLEEN: multiple small "
                              "calcified granulomas, the largest 5 mm, stable since 2019."},
        {"id": "blank", "text": "Chest x-ray: clear lungs."},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    run_batch(BatchOptions(input=src, out=tmp_path / "out.jsonl", workers=1))
    run_batch(BatchOptions(input=src, out=tmp_path / "pq", fmt=OutputFormat.parquet, workers=1))
    lesions = pq.read_table(tmp_path / "pq" / "lesions")
    assert lesions.schema.equals(LESIONS_SCHEMA)
    assert pq.read_schema(tmp_path / "pq" / "lesions" / "part-000000.parquet").equals(LESIONS_SCHEMA)
    findings = pq.read_table(tmp_path / "pq" / "findings").to_pylist()
    reports = {r["report_id"]: r for r in pq.read_table(tmp_path / "pq" / "reports").to_pylist()}
    analyses = {a["report"]["id"]: Analysis.model_validate(a) for a in read_jsonl(tmp_path / "out.jsonl")}
    by_report: dict[str, list[dict[str, Any]]] = {}
    for row in lesions.to_pylist():
        by_report.setdefault(row["report_id"], []).append(row)
    assert {k: len(v) for k, v in by_report.items()} == {k: len(a.lesions) for k, a in analyses.items() if a.lesions}

    [twice] = by_report["twice"]
    analysis = analyses["twice"]
    [assessment] = analysis.assessments
    assert (twice["lesion_id"], twice["finding_ids"], twice["mentions"], twice["main_finding_id"]) == (
        "l1", ["f1", "f2"], 2, "f1")
    assert (twice["organ"], twice["size_mm"], twice["count"], twice["count_label"], twice["pattern"]) == (
        "liver", 3.0, 2, "multiple", "punctate")
    assert (twice["negated"], twice["uncertain"], twice["historical"], twice["current"]) == (False, False, False, True)
    assert twice["action"] == assessment.action.value and twice["rules_fired"] == assessment.rules_fired
    assert json.loads(twice["conflicts"]) == {"count": ["2", "multiple"]}
    assert twice["sets_report_action"] is True
    mentions = [f for f in findings if f["report_id"] == "twice"]
    assert [(f["finding_id"], f["lesion_id"], f["main_mention"]) for f in mentions] == [
        ("f1", "l1", True), ("f2", "l1", False)]
    assert {f["action"] for f in mentions} == {assessment.action.value}  # the lesion's action, on both mentions
    assert (reports["twice"]["lesions"], reports["twice"]["current_lesions"]) == (1, 1)
    assert reports["twice"]["summary_action"] == analysis.summary.action
    assert reports["twice"]["summary_lesion_id"] == "l1"
    assert reports["twice"]["headline"] == analysis.summary.headline != ""

    [negated] = by_report["none"]
    assert negated["negated"] and not negated["current"] and negated["action"] is None
    assert negated["conflicts"] is None and not negated["sets_report_action"]
    assert reports["none"]["summary_action"] is None and reports["none"]["headline"] is None
    assert [f["lesion_id"] for f in findings if f["report_id"] == "none"] == ["l1"]

    two = by_report["two"]
    assert [r["organ"] for r in two] == ["liver", "spleen"]
    assert sum(r["sets_report_action"] for r in two) == 1
    assert [r["characterisation"] for r in two] == [lesion.labels for lesion in analyses["two"].lesions]
    assert "blank" not in by_report and reports["blank"]["lesions"] == 0


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


class RecordingEngine(InProcessEngine):
    """A real engine (the in-process one) that also notes which chunks it ran and that it was started."""

    def __init__(self, config: WorkConfig) -> None:
        super().__init__(config)
        self.seen: list[int] = []
        self.started = self.closed = False

    def start(self) -> None:
        super().start()
        self.started = True

    def results(self, chunks: Iterable[tuple[int, list[Item]]]) -> Iterator[ChunkResult]:
        for result in super().results(chunks):
            self.seen.append(result.index)
            yield result

    def close(self) -> None:
        self.closed = True


def test_the_runner_runs_the_engine_registered_under_the_engine_name(tmp_path: Path,
                                                                     corpus: list[dict[str, Any]]) -> None:
    """Engines come from the registry (how calcitrack.spark plugs in without batch importing it)."""
    src = write_jsonl(tmp_path / "in.jsonl", corpus[:10])
    made: list[RecordingEngine] = []

    def factory(config: WorkConfig, workers: int, options: BatchOptions) -> ChunkEngine:
        made.append(RecordingEngine(config))
        return made[-1]

    local = engine_factory(Engine.local)
    register_engine(Engine.local, factory)
    try:
        stats = run_batch(BatchOptions(input=src, out=tmp_path / "out.jsonl", workers=3, chunk_size=4))
    finally:
        register_engine(Engine.local, local)
    assert engine_factory(Engine.local) is local
    (engine,) = made
    assert engine.started and engine.closed and engine.seen == [0, 1, 2]
    assert (stats.ok, stats.chunks) == (10, 3)
    assert [a["report"]["id"] for a in read_jsonl(tmp_path / "out.jsonl")] == [r["id"] for r in corpus[:10]]


@pytest.mark.parametrize(("name", "asked", "chosen"), [
    ("res.parquet", None, OutputFormat.parquet),
    ("res.PARQUET", None, OutputFormat.parquet),
    ("res.jsonl", None, OutputFormat.jsonl),
    ("res.ndjson", None, OutputFormat.jsonl),
    ("results", None, OutputFormat.jsonl),
    ("results", OutputFormat.parquet, OutputFormat.parquet),
    ("res.parquet", OutputFormat.parquet, OutputFormat.parquet),
    ("res.out", OutputFormat.parquet, OutputFormat.parquet),
])
def test_the_output_format_follows_the_out_extension(name: str, asked: OutputFormat | None,
                                                      chosen: OutputFormat) -> None:
    assert output_format(Path(name), asked) == chosen


@pytest.mark.parametrize(("name", "asked"), [("res.parquet", OutputFormat.jsonl), ("res.jsonl", OutputFormat.parquet)])
def test_a_format_contradicting_the_out_extension_is_refused(name: str, asked: OutputFormat) -> None:
    with pytest.raises(InputError, match=rf"--out {name}: the extension \.\w+ means --format \w+, but --format "
                                         rf"{asked.value} was asked"):
        output_format(Path(name), asked)


def test_out_named_parquet_without_format_writes_parquet_tables(tmp_path: Path,
                                                                 corpus: list[dict[str, Any]]) -> None:
    """The issue: ``--out res.parquet`` used to get JSON lines; now a Parquet directory of that name."""
    src = write_jsonl(tmp_path / "in.jsonl", corpus[:6])
    stats = run_batch(BatchOptions(input=src, out=tmp_path / "res.parquet", workers=1, chunk_size=4))
    assert stats.ok == 6 and (tmp_path / "res.parquet").is_dir()
    reports = pq.read_table(tmp_path / "res.parquet" / "reports")
    assert reports.schema.equals(REPORTS_SCHEMA)
    assert reports.column("report_id").to_pylist() == [r["id"] for r in corpus[:6]]


def test_an_unknown_engine_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"--engine gpu: no such engine \(known: local"):
        engine_factory("gpu")


def test_batch_does_not_import_spark_the_spark_module_registers_its_engine() -> None:
    """In a fresh interpreter: the runner alone leaves calcitrack.spark unimported (no PySpark, no cycle)
    and does not know the spark engine; importing the Spark module (what the CLI does for --engine spark)
    registers its factory."""
    code = (
        "import sys\n"
        "from calcitrack.batch.runner import engine_factory, run_batch\n"
        "from calcitrack.errors import InputError\n"
        "assert 'calcitrack.spark' not in sys.modules, 'batch imported spark'\n"
        "try:\n"
        "    engine_factory('spark')\n"
        "    raise SystemExit('the runner loaded spark by itself')\n"
        "except InputError:\n"
        "    pass\n"
        "assert 'calcitrack.spark' not in sys.modules, 'batch imported spark'\n"
        "import calcitrack.spark\n"
        "assert engine_factory('spark') is calcitrack.spark.spark_engine\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
