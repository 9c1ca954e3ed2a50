"""The service layer: ``analyze()`` = read the report (nlp) -> group mentions into lesions -> assess each
lesion (assess) -> summarise the report.

Faces and adapters (CLI, API, batch, interop) call this, never the layers below directly, so that a
report is analysed the same way whichever door it came in by.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from calcitrack.assess import assess_lesions
from calcitrack.explain.headline import headline
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.lesions import group_lesions, in_scope
from calcitrack.models import ACTION_RANK, Analysis, Assessment, Lesion, PatientContext, Report, Summary


def summarise(
    lesions: Sequence[Lesion], assessments: Sequence[Assessment], kb: KnowledgeBase, lang: str
) -> Summary:
    """The report's action: the highest among its current, affirmed, in-scope lesions (reference §3.3).

    Negated, historical-only and out-of-scope-organ lesions do not count; the first lesion reaching the
    highest action sets it (report order breaks ties).
    """
    by_id = {lesion.id: lesion for lesion in lesions}
    counted = [
        (a, by_id[a.lesion_id]) for a in assessments
        if a.lesion_id in by_id and by_id[a.lesion_id].current and in_scope(by_id[a.lesion_id])
    ]
    if not counted:
        return Summary()
    top, lesion = max(counted, key=lambda pair: ACTION_RANK[pair[0].action])  # max keeps the first of equals
    return Summary(action=top.action, lesion_id=lesion.id, headline=headline(kb, top.action, lesion, lang))


def analyze(
    text: str | Report,
    lang: str | None = None,
    context: PatientContext | None = None,
    policy: str | None = None,
    *,
    kb: KnowledgeBase | None = None,
) -> Analysis:
    """Analyse one report: findings, lesions, context, the report's own recommendations, assessments.

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
    lesions = group_lesions(reading.findings, report.text, reading.folded)
    assessments = assess_lesions(
        lesions,
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
        lesions=lesions,
        report_recommendations=reading.report_recommendations,
        assessments=assessments,
        summary=summarise(lesions, assessments, kb, reading.lang),
        warnings=list(getattr(reading, "warnings", [])),
        kb_version=kb.kb_version,
        policy=policy_id,
        timings={"nlp_ms": (read_done - started) * 1000, "assess_ms": (done - read_done) * 1000},
    )
