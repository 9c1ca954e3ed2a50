"""The service layer: ``analyze()`` = read the report (nlp) -> assess each finding (assess).

Faces and adapters (CLI, API, batch, interop) call this, never the layers below directly, so that a
report is analysed the same way whichever door it came in by.
"""

from __future__ import annotations

import time

from calcitrack.assess import assess_findings
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import Analysis, PatientContext, Report


def analyze(
    text: str | Report,
    lang: str | None = None,
    context: PatientContext | None = None,
    policy: str | None = None,
    *,
    kb: KnowledgeBase | None = None,
) -> Analysis:
    """Analyse one report: findings, context, the report's own recommendations and assessments.

    ``context`` given by the caller wins over what the report says about the patient.
    """
    from calcitrack.nlp import read_report  # the NLP layer builds its pipelines lazily, on first use

    kb = kb or get_kb()
    policy_id = kb.resolve_policy(policy)
    report = text if isinstance(text, Report) else Report.model_validate({"text": text, "lang": lang})
    if lang and report.lang is None:
        report = report.model_copy(update={"lang": lang})
    started = time.perf_counter()
    reading = read_report(report)
    read_done = time.perf_counter()
    merged_context = context.merged_over(reading.context) if context else reading.context
    report = report.model_copy(update={"lang": reading.lang})
    assessments = assess_findings(
        reading.findings,
        merged_context,
        policy=policy_id,
        lang=reading.lang,
        kb=kb,
        report_recommendations=reading.report_recommendations,
    )
    done = time.perf_counter()
    return Analysis(
        report=report,
        context=merged_context,
        findings=reading.findings,
        report_recommendations=reading.report_recommendations,
        assessments=assessments,
        kb_version=kb.kb_version,
        policy=policy_id,
        timings={"nlp_ms": (read_done - started) * 1000, "assess_ms": (done - read_done) * 1000},
    )
