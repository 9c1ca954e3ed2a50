"""Spark in local mode, for real (Java 17+ and PySpark; scripts/java.sh installs Java): the DataFrame function
and ``batch --engine spark`` give the same findings and actions as the local runner.

One session for the module (a JVM start costs seconds); small data. In CI a missing Java or PySpark is a
failure, not a skip: the Spark path must be tested where it is claimed to work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from calcitrack.batch import BatchOptions, run_batch
from calcitrack.batch.records import FINDINGS_SCHEMA, LESIONS_SCHEMA, REPORTS_SCHEMA
from calcitrack.batch.runner import Engine
from calcitrack.batch.work import OutputFormat
from tests.batch.helpers import make_rows, write_jsonl

pytestmark = pytest.mark.spark


def _unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (uv sync --extra spark)"
    from calcitrack.spark import java_home

    if java_home() is None:
        return "no Java runtime (source scripts/java.sh)"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Spark tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from calcitrack.spark import local_session

    session = local_session(2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def local_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The local runner's outputs (JSONL and Parquet) for the same 48 reports plus one bad line."""
    base = tmp_path_factory.mktemp("local")
    rows: list[dict[str, Any]] = make_rows(48)
    rows.insert(20, {"id": "bad", "text": None})
    src = write_jsonl(base / "in.jsonl", rows)
    run_batch(BatchOptions(input=src, out=base / "out.jsonl", workers=1, chunk_size=10))
    run_batch(BatchOptions(input=src, out=base / "pq", fmt=OutputFormat.parquet, workers=1, chunk_size=10))
    return {"src": src, "jsonl": base / "out.jsonl", "parquet": base / "pq", "base": base}


def test_batch_engine_spark_writes_the_same_bytes_as_local_workers(spark: Any, local_outputs: dict[str, Path]
                                                                   ) -> None:
    base = local_outputs["base"]
    stats = run_batch(BatchOptions(input=local_outputs["src"], out=base / "spark.jsonl", workers=2, chunk_size=10,
                                   engine=Engine.spark))
    assert (stats.ok, stats.failed, stats.chunks) == (48, 1, 5)
    assert (base / "spark.jsonl").read_bytes() == local_outputs["jsonl"].read_bytes()
    assert (base / "spark.errors.jsonl").read_bytes() == (base / "out.errors.jsonl").read_bytes()
    run_batch(BatchOptions(input=local_outputs["src"], out=base / "spark_pq", fmt=OutputFormat.parquet, workers=2,
                           chunk_size=10, engine=Engine.spark))
    for table in ("findings", "reports", "lesions"):
        assert pq.read_table(base / "spark_pq" / table).equals(pq.read_table(local_outputs["parquet"] / table))


def test_analyze_column_gives_the_local_findings_and_actions(spark: Any, local_outputs: dict[str, Path]) -> None:
    from pyspark.sql import functions as F

    from calcitrack.spark import analyze_column, findings_of, lesions_of, reports_of

    rows = [json.loads(line) for line in local_outputs["src"].read_text(encoding="utf-8").splitlines()]
    frame = spark.createDataFrame([(i + 1, r["id"], r["text"], r.get("modality")) for i, r in enumerate(rows)],
                                  "n long, accession string, body string, modality string")
    analysed = analyze_column(frame.repartition(3), "body", id_col="accession", row_col="n", with_json=True).cache()
    bad = analysed.where(F.col("error").isNotNull()).collect()
    assert [(r["source_row"], r["error"]) for r in bad] == [(21, "row 21: missing text")]

    findings = findings_of(analysed).orderBy("source_row", "finding_id")
    assert [f.name for f in findings.schema.fields] == FINDINGS_SCHEMA.names
    local = pq.read_table(local_outputs["parquet"] / "findings").to_pylist()
    keys = ("report_id", "finding_id", "lesion_id", "main_mention", "organ", "size_mm", "negated", "action",
            "differential")
    got = [tuple(r[k] for k in keys) for r in findings.collect()]
    assert got == [tuple(r[k] for k in keys) for r in local] and len(got) > 20

    reports = reports_of(analysed).orderBy("source_row")
    assert [f.name for f in reports.schema.fields] == REPORTS_SCHEMA.names
    local_reports = pq.read_table(local_outputs["parquet"] / "reports").to_pylist()
    report_keys = ("report_id", "action", "findings", "lesions", "summary_action", "summary_lesion_id", "headline")
    assert [tuple(r[k] for k in report_keys) for r in reports.collect()] == [
        tuple(r[k] for k in report_keys) for r in local_reports]

    lesions = lesions_of(analysed).orderBy("source_row", "lesion_id")
    assert [f.name for f in lesions.schema.fields] == LESIONS_SCHEMA.names
    local_lesions = pq.read_table(local_outputs["parquet"] / "lesions").to_pylist()
    lesion_keys = ("report_id", "lesion_id", "finding_ids", "organ", "size_mm", "count", "characterisation",
                   "conflicts", "current", "action", "rules_fired", "sets_report_action")
    got_lesions = [tuple(r[k] for k in lesion_keys) for r in lesions.collect()]
    assert got_lesions == [tuple(r[k] for k in lesion_keys) for r in local_lesions]
    assert 0 < len(got_lesions) < len(got)  # reports that name a lesion twice: fewer lesions than findings
    first = analysed.orderBy("source_row").first()
    assert json.loads(first["analysis"])["report"]["id"] == rows[0]["id"]
