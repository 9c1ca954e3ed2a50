"""Registry fixtures: every registry test runs on SQLite and PostgreSQL (``db_url``, ``engine``: tests/conftest.py).

The postgres parameter uses ``CALCITRACK_TEST_POSTGRES_URL`` (``scripts/services.sh`` starts a private
server and exports it). Unset: skipped locally, but a failure in CI (``CI=true``), so that CI can never
pass by silently skipping half of the suite.
"""

from __future__ import annotations

import datetime as dt

from calcitrack.assess import assess_lesions
from calcitrack.kb import KnowledgeBase
from calcitrack.lesions import group_lesions
from calcitrack.models import Analysis, Finding, Modality, PatientContext, Report


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
    lesions = group_lesions(findings)
    assessments = assess_lesions(lesions, ctx, policy=policy, kb=kb)
    return Analysis(
        report=report, context=ctx, findings=findings, lesions=lesions, assessments=assessments,
        kb_version=kb.kb_version, policy=policy,
    )


def liver(size: float | None, *, fid: str = "f1", site: str | None = "segment_VI", **extra: object) -> Finding:
    return Finding.model_validate({"id": fid, "organ": "liver", "site": site, "size_mm": size, **extra})
