"""One import point for the FHIR adapters (``calcitrack.interop.fhir.analysis_to_bundle``).

Why: faces (CLI ``--format fhir``, API ``?format=fhir``) need only these names and should not care how
the in/out halves are split.
"""

from __future__ import annotations

from calcitrack.interop.fhir_in import FhirReport, diagnostic_report_to_report, load_json, read_reports
from calcitrack.interop.fhir_out import affirmed, analysis_to_bundle, analysis_to_bundle_dict, validate_bundle

__all__ = [
    "FhirReport",
    "affirmed",
    "analysis_to_bundle",
    "analysis_to_bundle_dict",
    "diagnostic_report_to_report",
    "load_json",
    "read_reports",
    "validate_bundle",
]
