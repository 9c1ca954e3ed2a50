"""FHIR out: an :class:`~calcitrack.models.Analysis` as a FHIR ``Bundle`` (type ``collection``).

Contents, each built and validated with the ``fhir.resources`` R4B models (R4-compatible JSON for these
resources, see ``docs/interop.md``):

- one ``DiagnosticReport`` standing for the analysed report, whose ``result`` lists the Observations
  (FHIR R4 links findings to their report this way: ``Observation.derivedFrom`` and ``partOf`` do not
  allow a DiagnosticReport target);
- one ``Observation`` per affirmed finding (not negated, not historical): ``code.text``, imaging
  category, ``bodySite.text``, size as ``valueQuantity`` in UCUM ``mm``, the action level as
  ``interpretation.text``, the evidence span in ``note`` and an ``identifier``;
- one ``ServiceRequest`` per recommendation (engine recommendations other than kind ``none``, and the
  report's own follow-up recommendations), ``status`` ``active``, ``intent`` ``proposal`` (a suggestion,
  not an order a clinician has placed), ``reasonReference`` to the Observation and the DiagnosticReport;
- one ``CarePlan`` (``intent`` ``proposal``) whose activities reference the ServiceRequests, when there
  is at least one.

Codes: only those verified in ``shared/anchors/cdshooks-fhir.md`` (observation-category ``imaging``,
v2-0074 ``RAD``, UCUM ``mm``); every clinical concept is ``CodeableConcept.text`` only.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from calcitrack.models import Analysis, Assessment, Finding, Recommendation, RecommendationKind, ReportRecommendation

UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
ID_SYSTEM_REPORT = "urn:calcitrack:report"
ID_SYSTEM_FINDING = "urn:calcitrack:finding"
ID_SYSTEM_RECOMMENDATION = "urn:calcitrack:recommendation"
ID_SYSTEM_PATIENT = "urn:calcitrack:patient"
_NAMESPACE = uuid.UUID("6f1c2b7e-5d43-4c1a-9f0e-3b8a7c2d1e55")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_UNIT_MONTHS = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")

ORGAN_TEXT = {"liver": "liver", "biliary": "biliary tree", "spleen": "spleen", "soft_tissue": "soft tissue"}
PRIORITY = {"urgent": "urgent", "workup": "routine", "surveillance": "routine"}


def affirmed(finding: Finding) -> bool:
    """A finding the report asserts now: not negated and not history. These become Observations."""
    return not finding.negated and not finding.historical


def _urn(*parts: str) -> str:
    """Stable ``urn:uuid`` from the report and entity ids, so the same analysis gives the same Bundle."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


def patient_reference(patient_id: str | None) -> dict[str, Any]:
    """``Patient/<id>`` when the id is a legal FHIR id, else a logical reference by identifier."""
    if not patient_id:
        return {"display": "patient not identified"}
    if _FHIR_ID.match(patient_id):
        return {"reference": f"Patient/{patient_id}"}
    return {"identifier": {"system": ID_SYSTEM_PATIENT, "value": patient_id}}


def body_site_text(finding: Finding) -> str:
    organ = finding.organ_detail if finding.organ.value == "other" and finding.organ_detail else None
    base = organ or ORGAN_TEXT.get(finding.organ.value, finding.organ.value)
    if finding.site:
        return f"{base}, {finding.site.replace('_', ' ')}"
    return base


def _interval_text(interval: str | None) -> str | None:
    if not interval:
        return None
    match = _UNIT_MONTHS.match(interval)
    if not match:
        return interval
    names = ("year", "month", "week", "day")
    parts = [f"{int(n)} {name}{'s' if int(n) != 1 else ''}" for n, name in zip(match.groups(), names, strict=True) if n]
    return "in " + " ".join(parts) if parts else interval


def _effective(analysis: Analysis) -> dict[str, Any]:
    return {"effectiveDateTime": analysis.report.date.isoformat()} if analysis.report.date else {}


def _observation(
    analysis: Analysis, finding: Finding, assessment: Assessment | None, report_urn: str
) -> dict[str, Any]:
    report = analysis.report
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": ID_SYSTEM_FINDING, "value": f"{report.id}/{finding.id}"}],
        "status": "preliminary" if finding.uncertain else "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging", "display": "Imaging"}]}],
        "code": {"text": f"Calcification of {body_site_text(finding).split(',')[0]}"},
        "subject": patient_reference(report.patient_id),
        **_effective(analysis),
        "bodySite": {"text": body_site_text(finding)},
    }
    if finding.size_mm is not None:
        obs["valueQuantity"] = {"value": finding.size_mm, "unit": "mm", "system": UCUM, "code": "mm"}
    if assessment is not None:
        obs["interpretation"] = [{"text": f"calcitrack action: {assessment.action.value}"}]
    notes = []
    if finding.evidence is not None:
        notes.append(
            f"Evidence (report {report.id}, characters {finding.evidence.start}-{finding.evidence.end}): "
            f"\"{finding.evidence.text}\""
        )
    qualifiers = [name for name in ("uncertain",) if getattr(finding, name)]
    if finding.pattern:
        qualifiers.append(f"pattern {finding.pattern.value}")
    if finding.interval_change:
        qualifiers.append(f"interval change {finding.interval_change.value}")
    if qualifiers:
        notes.append("Attributes: " + ", ".join(qualifiers))
    notes.append(f"Source report: {report_urn}")
    obs["note"] = [{"text": text} for text in notes]
    return obs


def _service_request(
    analysis: Analysis, key: str, text: str, *, priority: str | None, reasons: list[str], note: str | None,
    occurrence_text: str | None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": ID_SYSTEM_RECOMMENDATION, "value": key}],
        "status": "active",
        "intent": "proposal",
        "code": {"text": text},
        "subject": patient_reference(analysis.report.patient_id),
        "reasonReference": [{"reference": r} for r in reasons],
    }
    if priority:
        request["priority"] = priority
    if analysis.report.date:
        request["authoredOn"] = analysis.report.date.isoformat()
    notes = [n for n in (occurrence_text and f"When: {occurrence_text}", note) if n]
    if notes:
        request["note"] = [{"text": n} for n in notes]
    return request


def _engine_requests(
    analysis: Analysis, assessment: Assessment, obs_urn: str, report_urn: str
) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for index, rec in enumerate(assessment.recommendations):
        if rec.kind == RecommendationKind.none:
            continue
        key = f"{analysis.report.id}/{assessment.finding_id}/{rec.id or index}"
        out.append((
            _urn("sr", key),
            _service_request(
                analysis, key, _recommendation_text(rec), priority=PRIORITY.get(assessment.action.value),
                reasons=[obs_urn, report_urn], note=rec.rationale,
                occurrence_text=rec.when or _interval_text(rec.interval),
            ),
        ))
    return out


def _recommendation_text(rec: Recommendation) -> str:
    return f"{rec.kind.value}: {rec.what}"


def _report_requests(analysis: Analysis, report_urn: str, obs_urns: list[str]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for index, rec in enumerate(analysis.report_recommendations):
        if rec.no_followup:
            continue
        key = f"{analysis.report.id}/report-recommendation/{index + 1}"
        out.append((
            _urn("sr", key),
            _service_request(
                analysis, key, _report_recommendation_text(rec), priority=None, reasons=[report_urn, *obs_urns],
                note="Recommended in the report itself" + (" (conditional)" if rec.conditional else "")
                + (" (hedged wording)" if rec.hedged else ""),
                occurrence_text=_interval_text(rec.interval),
            ),
        ))
    return out


def _report_recommendation_text(rec: ReportRecommendation) -> str:
    what = f"follow-up {rec.modality}" if rec.modality else "follow-up imaging"
    return f"imaging: {what}"


def _diagnostic_report(analysis: Analysis, source_reference: str | None, results: list[str]) -> dict[str, Any]:
    report = analysis.report
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": ID_SYSTEM_REPORT, "value": report.id}],
        "status": "final",
        "category": [{"coding": [{"system": V2_0074, "code": "RAD"}]}],
        "code": {"text": f"{report.modality.value} report" if report.modality else "Imaging report"},
        "subject": patient_reference(report.patient_id),
        **_effective(analysis),
    }
    if source_reference and source_reference.startswith("DiagnosticReport/"):
        resource["id"] = source_reference.split("/", 1)[1]
    if results:
        resource["result"] = [{"reference": r} for r in results]
    return resource


def analysis_to_bundle_dict(analysis: Analysis, *, source_reference: str | None = None) -> dict[str, Any]:
    """The Bundle as a JSON-ready dict, every resource validated with the R4B models."""
    report_urn = _urn("report", analysis.report.id)
    by_finding = {a.finding_id: a for a in analysis.assessments}
    observations: list[tuple[str, dict[str, Any]]] = []
    requests: list[tuple[str, dict[str, Any]]] = []
    for finding in analysis.findings:
        if not affirmed(finding):
            continue
        obs_urn = _urn("obs", analysis.report.id, finding.id)
        assessment = by_finding.get(finding.id)
        observations.append((obs_urn, _observation(analysis, finding, assessment, report_urn)))
        if assessment is not None:
            requests.extend(_engine_requests(analysis, assessment, obs_urn, report_urn))
    requests.extend(_report_requests(analysis, report_urn, [u for u, _ in observations]))
    entries = [(report_urn, _diagnostic_report(analysis, source_reference, [u for u, _ in observations]))]
    entries += observations + requests
    if requests:
        plan = {
            "resourceType": "CarePlan",
            "identifier": [{"system": ID_SYSTEM_REPORT, "value": f"{analysis.report.id}/care-plan"}],
            "status": "active",
            "intent": "proposal",
            "title": "Calcification follow-up",
            "description": "Follow-up proposed by calcitrack for calcification findings of one imaging report.",
            "subject": patient_reference(analysis.report.patient_id),
            "supportingInfo": [{"reference": report_urn}],
            "activity": [{"reference": {"reference": urn}} for urn, _ in requests],
        }
        if analysis.report.date:
            plan["created"] = analysis.report.date.isoformat()
        entries.append((_urn("careplan", analysis.report.id), plan))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": urn, "resource": resource} for urn, resource in entries],
    }
    return validate_bundle(bundle)


def validate_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """Round-trip the Bundle through ``fhir.resources`` (raises pydantic ``ValidationError`` if invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    model = Bundle.model_validate(bundle)
    result: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True))
    return result


def analysis_to_bundle(analysis: Analysis, *, source_reference: str | None = None) -> str:
    """The Bundle as FHIR JSON text (what ``--format fhir`` prints and the API returns)."""
    return json.dumps(analysis_to_bundle_dict(analysis, source_reference=source_reference), ensure_ascii=False,
                      indent=2)
