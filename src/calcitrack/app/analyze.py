"""The analyze use case: one report in, its :class:`~calcitrack.models.Analysis` out, for every face.

Why a use case above :func:`calcitrack.service.analyze`: the CLI (``analyze``, ``eval``), the API
(``POST /api/v1/analyze``), the web analyse page and batch workers must answer the same way when the
knowledge base cannot be loaded (an edited copy with a typo, a wrong ``CALCITRACK_KB_DIR``). This used to
be written twice, differently; here it is written once:

* the report is still read (findings, context, the report's own recommendations) and its mentions are
  grouped into lesions with the one grouping rule (:func:`calcitrack.lesions.group_lesions`);
* nothing is assessed (no assessments, no summary action): an action without its knowledge base would
  be a guess;
* ``Analysis.warnings`` says so, naming the loader's error, so every face shows why
  (:func:`degraded_warning` tells a face that it happened, e.g. to warn once per run).
"""

from __future__ import annotations

from calcitrack.kb.loader import KBError
from calcitrack.lesions import group_lesions
from calcitrack.models import Analysis, PatientContext, Report

KB_UNAVAILABLE = "knowledge base unavailable"
"""The start of the degraded-mode warning in ``Analysis.warnings``."""


def analyze(
    report: Report | str,
    *,
    lang: str | None = None,
    context: PatientContext | None = None,
    policy: str | None = None,
) -> Analysis:
    """:func:`calcitrack.service.analyze`, or the reading alone with a warning when the KB cannot load.

    ``context`` given by the caller wins over what the report says about the patient, in both modes. A
    policy unknown to a KB that did load is still an error (the caller asked for something that does not
    exist), not a reason to degrade.
    """
    from calcitrack.service import analyze as analyze_with_kb  # builds the NLP pipelines on first use

    if isinstance(report, str):
        report = Report.model_validate({"text": report, "lang": lang})
    elif lang and report.lang is None:
        report = report.model_copy(update={"lang": lang})
    try:
        from calcitrack.kb import get_kb

        kb = get_kb()
    except KBError as exc:
        return reading_only(report, context, reason=str(exc))
    return analyze_with_kb(report, context=context, policy=policy, kb=kb)


def reading_only(report: Report, context: PatientContext | None, *, reason: str) -> Analysis:
    """The degraded mode: findings, lesions, context and the report's recommendations; no assessment."""
    from calcitrack.nlp import read_report

    reading = read_report(report)
    merged = context.merged_over(reading.context) if context else reading.context
    warning = f"{KB_UNAVAILABLE} ({reason}); findings without assessments"
    return Analysis(
        report=report.model_copy(update={"lang": reading.lang}),
        context=merged,
        findings=reading.findings,
        lesions=group_lesions(reading.findings, report.text, reading.folded),
        report_recommendations=reading.report_recommendations,
        warnings=[*getattr(reading, "warnings", []), warning],
    )


def degraded_warning(analysis: Analysis) -> str | None:
    """The degraded-mode warning when ``analysis`` was made without a knowledge base, else None."""
    return next((warning for warning in analysis.warnings if warning.startswith(KB_UNAVAILABLE)), None)
