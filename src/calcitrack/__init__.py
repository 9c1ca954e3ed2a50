"""calcitrack: calcification findings in imaging reports, understood, assessed, explained and tracked.

    from calcitrack import analyze, PatientContext
    result = analyze(text, lang=None, context=PatientContext(age=54), policy="standard")
    result.findings, result.assessments, result.explanation("fr", audience="patient")
"""

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
]
