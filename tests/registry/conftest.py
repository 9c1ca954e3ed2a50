"""Registry fixtures: every registry test runs on SQLite and on PostgreSQL.

The postgres parameter uses ``CALCITRACK_TEST_POSTGRES_URL`` (``scripts/services.sh`` starts a private
server and exports it). Unset: skipped locally, but a failure in CI (``CI=true``), so that CI can never
pass by silently skipping half of the suite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.conftest import empty_postgres_url

from calcitrack.assess import assess
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Analysis, Finding, Modality, PatientContext, Report
from calcitrack.registry.db import make_engine, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, private_postgres_url: str | None) -> str:
    """An empty database URL (not yet migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return empty_postgres_url(private_postgres_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def make_analysis(
    kb: KnowledgeBase,
    report_id: str,
    patient: str,
    date: str,
    findings: list[Finding],
    *,
    policy: str = "seed",
    context: PatientContext | None = None,
    text_: str | None = None,
) -> Analysis:
    """An Analysis built directly from findings + the engine (no NLP), as :func:`record` receives it."""
    ctx = context or PatientContext()
    report = Report(
        id=report_id, patient_id=patient, date=dt.date.fromisoformat(date), modality=Modality.US, lang="en",
        text=text_ if text_ is not None else f"report {report_id}: " + "; ".join(f.model_dump_json() for f in findings),
    )
    assessments = [assess(f, ctx, policy=policy, kb=kb) for f in findings if not f.negated and not f.historical]
    return Analysis(
        report=report, context=ctx, findings=findings, assessments=assessments, kb_version=kb.kb_version,
        policy=policy,
    )


def liver(size: float | None, *, fid: str = "f1", site: str | None = "segment_VI", **extra: object) -> Finding:
    return Finding.model_validate({"id": fid, "organ": "liver", "site": site, "size_mm": size, **extra})
