"""calcitrack: calcification findings in imaging reports, understood, assessed, explained and tracked.

    from calcitrack import analyze, PatientContext
    result = analyze(text, lang=None, context=PatientContext(age=54), policy="standard")
    result.findings, result.assessments, result.explanation("fr", audience="patient")
"""

from calcitrack import models as _models
from calcitrack.assess import assess
from calcitrack.models import (
    Analysis,
    Assessment,
    Finding,
    PatientContext,
    Report,
    ReportRecommendation,
)
from calcitrack.service import analyze

__version__ = "0.1.0"


def explanation(analysis: Analysis, lang: str = "en", audience: str = "patient") -> str:
    """Plain-text explanation of ``analysis`` for an audience (radiologist, clinician, patient);
    ``analysis.explanation(lang, audience)`` calls this."""
    from calcitrack.explain import explain_analysis

    text: str = explain_analysis(analysis, lang=lang, audience=audience, fmt="text")
    return text


_models.install_explainer(explanation)

__all__ = [
    "Analysis",
    "Assessment",
    "Finding",
    "PatientContext",
    "Report",
    "ReportRecommendation",
    "__version__",
    "analyze",
    "assess",
    "explanation",
]
