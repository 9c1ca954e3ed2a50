"""FHIR out: an :class:`~calcitrack.models.Analysis` as a FHIR ``Bundle`` (type ``collection``).

Contents, each built and validated with the ``fhir.resources`` R4B models (R4-compatible JSON for these
resources, see ``docs/interop.md``):

- one ``DiagnosticReport`` standing for the analysed report, whose ``result`` lists the Observations
  (FHIR R4 links findings to their report this way: ``Observation.derivedFrom`` and ``partOf`` do not
  allow a DiagnosticReport target), and whose ``conclusion`` is the summary headline;
- one ``Observation`` per current lesion (schema 2.0: a lesion named in the findings and again in the
  impression is one Observation, not two; negated and history-only lesions are left out, as negated
  findings always were): ``code.text``, imaging category, ``bodySite.text``, size as ``valueQuantity`` in
  UCUM ``mm``, the lesion's merged attributes and characterisation as ``component`` (text codes), the
  action of the lesion's assessment as ``interpretation.text``, one ``note`` per mention span (the
  evidence), the attributes the mentions disagree on, and an ``identifier`` ``<report id>/<lesion id>``;
- one ``ServiceRequest`` per recommendation of a lesion's assessment (engine recommendations other than
  kind ``none``; one assessment per lesion, so a lesion named twice is not asked for twice), and one per
  follow-up the report itself recommends; ``status`` ``active``, ``intent`` ``proposal`` (a suggestion,
  not an order a clinician has placed), ``reasonReference`` to the lesion's Observation and the
  DiagnosticReport;
- one ``CarePlan`` (``intent`` ``proposal``) whose activities reference the ServiceRequests, when there
  is at least one; its ``supportingInfo`` lists the Observations of the assessed lesions.

Display texts (``text``, ``display``, ``title``, ``description``, notes) follow the report's language: they
are KB text keys (``fhir.*``) and the shared vocabulary (:mod:`calcitrack.explain.vocabulary`), so a French
report gives a French Bundle.

Codes: only those verified in ``shared/anchors/cdshooks-fhir.md`` (observation-category ``imaging``,
v2-0074 ``RAD``, UCUM ``mm``); every clinical concept is ``CodeableConcept.text`` only.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from calcitrack.explain import vocabulary
from calcitrack.explain.texts import Texts
from calcitrack.kb import get_kb
from calcitrack.models import (
    Analysis,
    Assessment,
    Finding,
    Lesion,
    Recommendation,
    RecommendationKind,
    ReportRecommendation,
)

UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
ID_SYSTEM_REPORT = "urn:calcitrack:report"
ID_SYSTEM_LESION = "urn:calcitrack:lesion"
ID_SYSTEM_RECOMMENDATION = "urn:calcitrack:recommendation"
ID_SYSTEM_PATIENT = "urn:calcitrack:patient"
_NAMESPACE = uuid.UUID("6f1c2b7e-5d43-4c1a-9f0e-3b8a7c2d1e55")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_UNIT_MONTHS = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")

ORGAN_TEXT = {"liver": "liver", "biliary": "biliary tree", "spleen": "spleen", "soft_tissue": "soft tissue"}
PRIORITY = {"urgent": "urgent", "workup": "routine", "surveillance": "routine"}


def affirmed(finding: Finding | Lesion) -> bool:
    """Asserted now: not negated and not history. Such lesions become Observations."""
    return not finding.negated and not finding.historical


def lesions_of(analysis: Analysis) -> list[Lesion]:
    """The analysis's lesions; grouped here from the mentions when an analysis has none (schema 1.0 JSON,
    or an analysis built by hand) so that every Bundle has one Observation per lesion."""
    if analysis.lesions or not analysis.findings:
        return list(analysis.lesions)
    from calcitrack.lesions import group_lesions

    return group_lesions(analysis.findings, analysis.report.text or None)


def lesion_assessments(analysis: Analysis, lesions: list[Lesion]) -> dict[str, Assessment]:
    """Lesion id -> its assessment: by ``lesion_id``, else (schema 1.0) by a mention's ``finding_id``."""
    out: dict[str, Assessment] = {}
    by_finding: dict[str, Assessment] = {}
    for assessment in analysis.assessments:
        if assessment.lesion_id is not None:
            out.setdefault(assessment.lesion_id, assessment)
        else:
            by_finding.setdefault(assessment.finding_id, assessment)
    for lesion in lesions:
        if lesion.id not in out:
            found = next((by_finding[f] for f in [lesion.main_finding_id, *lesion.finding_ids] if f in by_finding),
                         None)
            if found is not None:
                out[lesion.id] = found
    return out


def _urn(*parts: str) -> str:
    """Stable ``urn:uuid`` from the report and entity ids, so the same analysis gives the same Bundle."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


@dataclass(frozen=True)
class _Words:
    """The display texts of one Bundle: KB text keys ``fhir.*`` and the shared vocabulary, in the report's
    language (a French report gives French ``text`` and ``display`` values)."""

    texts: Texts
    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        return self.texts.render(key, self.lang, **values)


def _words_for(analysis: Analysis) -> _Words:
    lang = analysis.report.lang if analysis.report.lang in ("en", "fr") else "en"
    return _Words(Texts(get_kb()), lang)


def patient_reference(patient_id: str | None, words: _Words | None = None) -> dict[str, Any]:
    """``Patient/<id>`` when the id is a legal FHIR id, else a logical reference by identifier."""
    if not patient_id:
        return {"display": words("fhir.patient_unknown") if words else "patient not identified"}
    if _FHIR_ID.match(patient_id):
        return {"reference": f"Patient/{patient_id}"}
    return {"identifier": {"system": ID_SYSTEM_PATIENT, "value": patient_id}}


def body_site_text(finding: Finding | Lesion, words: _Words | None = None) -> str:
    """ "liver, segment VI" / "foie, segment VI"; a structure of organ ``other`` by its name."""
    organ = finding.organ_detail if finding.organ.value == "other" and finding.organ_detail else None
    if words is None:
        base = organ or ORGAN_TEXT.get(finding.organ.value, finding.organ.value)
        return f"{base}, {finding.site.replace('_', ' ')}" if finding.site else base
    base = organ or vocabulary.organ_words(words.texts, finding.organ.value, words.lang)
    if finding.site:
        return f"{base}, {vocabulary.site_words(words.texts, finding.site, words.lang)}"
    return base


def _interval_text(interval: str | None, words: _Words | None = None) -> str | None:
    if not interval:
        return None
    match = _UNIT_MONTHS.match(interval)
    if not match:
        return interval
    names = ("year", "month", "week", "day")
    if words is None:
        parts = [f"{int(n)} {name}{'s' if int(n) != 1 else ''}"
                 for n, name in zip(match.groups(), names, strict=True) if n]
        return "in " + " ".join(parts) if parts else interval
    parts = [words(f"fhir.unit.{name}", n=int(n)) for n, name in zip(match.groups(), names, strict=True) if n]
    return words("fhir.in", duration=" ".join(parts)) if parts else interval


def _effective(analysis: Analysis) -> dict[str, Any]:
    return {"effectiveDateTime": analysis.report.date.isoformat()} if analysis.report.date else {}


def _component(name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"text": name}, **value}


def _components(lesion: Lesion, words: _Words) -> list[dict[str, Any]]:
    """The lesion's merged attributes: what a reader of the Observation needs besides size."""
    texts, lang = words.texts, words.lang
    out = []
    if lesion.count is not None:
        count = lesion.count
        value = {"valueInteger": count} if isinstance(count, int) else {
            "valueString": vocabulary.count_words(texts, count, lang)}
        out.append(_component(words("fhir.component.count"), value))
    if lesion.pattern is not None:
        pattern = vocabulary.pattern_words(texts, lesion.pattern.value, lang)
        out.append(_component(words("fhir.component.pattern"), {"valueString": pattern}))
    if lesion.interval_change is not None:
        change = vocabulary.change_words(texts, lesion.interval_change.value, lang)
        out.append(_component(words("fhir.component.interval_change"), {"valueString": change}))
    for name in ("acoustic_shadow", "duct_dilatation", "associated_mass"):
        value = getattr(lesion, name)
        if value is not None:
            out.append(_component(words(f"fhir.component.{name}"), {"valueBoolean": value}))
    for label in lesion.labels:
        out.append(_component(words("fhir.component.characterisation"),
                              {"valueCodeableConcept": {"text": _label(words, label)}}))
    return out


def _label(words: _Words, label: str) -> str:
    key = f"characterisation.{label}"
    return words(key) if words.texts.has(key, words.lang) else label.replace("_", " ")


def _mention_note(report_id: str, finding: Finding, main: bool, words: _Words) -> str | None:
    if finding.evidence is None:
        return None
    section_key = f"section.{finding.section.value}"
    section = words(section_key) if words.texts.has(section_key, words.lang) else finding.section.value
    return words("fhir.note.mention", role=words("fhir.role.main" if main else "fhir.role.other"),
                 id=finding.id, section=section, report=report_id, start=finding.evidence.start,
                 end=finding.evidence.end, text=finding.evidence.text)


def _observation(
    analysis: Analysis, lesion: Lesion, assessment: Assessment | None, report_urn: str, words: _Words
) -> dict[str, Any]:
    report = analysis.report
    site = body_site_text(lesion, words)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": ID_SYSTEM_LESION, "value": f"{report.id}/{lesion.id}"}],
        "status": "preliminary" if lesion.uncertain else "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging",
                                  "display": words("fhir.category.imaging")}]}],
        "code": {"text": words("fhir.code", organ=site.split(",")[0])},
        "subject": patient_reference(report.patient_id, words),
        **_effective(analysis),
        "bodySite": {"text": site},
    }
    if lesion.size_mm is not None:
        obs["valueQuantity"] = {"value": lesion.size_mm, "unit": "mm", "system": UCUM, "code": "mm"}
    if assessment is not None:
        obs["interpretation"] = [{"text": words("fhir.interpretation", action=_action(words, assessment))}]
    components = _components(lesion, words)
    if components:
        obs["component"] = components
    mentions = {f.id: f for f in analysis.findings}
    notes = [
        note for fid in lesion.finding_ids if fid in mentions
        if (note := _mention_note(report.id, mentions[fid], fid == lesion.main_finding_id, words))
    ]
    if not notes and lesion.evidence is not None:
        notes.append(words("fhir.note.evidence", report=report.id, start=lesion.evidence.start,
                           end=lesion.evidence.end, text=lesion.evidence.text))
    for item in lesion.characterisation:
        if item.evidence is not None:
            notes.append(words("fhir.note.characterisation", label=_label(words, item.label), text=item.evidence.text))
    if lesion.uncertain:
        notes.append(words("fhir.note.uncertain"))
    for name, values in lesion.conflicts.items():
        key = f"attribute.{name}"
        attribute = words(key) if words.texts.has(key, words.lang) else name.replace("_", " ")
        notes.append(words("fhir.note.conflict", attribute=attribute, values=", ".join(str(v) for v in values)))
    notes.append(words("fhir.note.lesion", id=lesion.id, n=len(lesion.finding_ids), ids=", ".join(lesion.finding_ids),
                       urn=report_urn))
    obs["note"] = [{"text": text} for text in notes]
    return obs


def _action(words: _Words, assessment: Assessment) -> str:
    return words(f"action_short.{assessment.action.value}")


def _service_request(
    analysis: Analysis, key: str, text: str, *, priority: str | None, reasons: list[str], note: str | None,
    occurrence_text: str | None, words: _Words,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": ID_SYSTEM_RECOMMENDATION, "value": key}],
        "status": "active",
        "intent": "proposal",
        "code": {"text": text},
        "subject": patient_reference(analysis.report.patient_id, words),
        "reasonReference": [{"reference": r} for r in reasons],
    }
    if priority:
        request["priority"] = priority
    if analysis.report.date:
        request["authoredOn"] = analysis.report.date.isoformat()
    notes = [n for n in (occurrence_text and words("fhir.when", when=occurrence_text), note) if n]
    if notes:
        request["note"] = [{"text": n} for n in notes]
    return request


def _engine_requests(
    analysis: Analysis, lesion: Lesion, assessment: Assessment, obs_urn: str, report_urn: str, words: _Words
) -> list[tuple[str, dict[str, Any]]]:
    """The ServiceRequests of one lesion's assessment (the same recommendation once)."""
    out = []
    keys: set[str] = set()
    texts: set[tuple[str, str | None]] = set()
    for index, rec in enumerate(assessment.recommendations):
        if rec.kind == RecommendationKind.none:
            continue
        key = f"{analysis.report.id}/{lesion.id}/{rec.id or index}"
        text = _recommendation_text(rec, words)
        when = rec.when or _interval_text(rec.interval, words)
        if key in keys or (text, when) in texts:
            continue
        keys.add(key)
        texts.add((text, when))
        out.append((
            _urn("sr", key),
            _service_request(
                analysis, key, text, priority=PRIORITY.get(assessment.action.value),
                reasons=[obs_urn, report_urn], note=rec.rationale, occurrence_text=when, words=words,
            ),
        ))
    return out


def _recommendation_text(rec: Recommendation, words: _Words) -> str:
    return words("fhir.recommendation", kind=words(f"kind.{rec.kind.value}"), what=rec.what)


def _report_requests(
    analysis: Analysis, report_urn: str, obs_urns: list[str], words: _Words
) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for index, rec in enumerate(analysis.report_recommendations):
        if rec.no_followup:
            continue
        key = f"{analysis.report.id}/report-recommendation/{index + 1}"
        out.append((
            _urn("sr", key),
            _service_request(
                analysis, key, _report_recommendation_text(rec, words), priority=None,
                reasons=[report_urn, *obs_urns],
                note=words("fhir.report_recommendation.note", conditional=rec.conditional, hedged=rec.hedged),
                occurrence_text=_interval_text(rec.interval, words), words=words,
            ),
        ))
    return out


def _report_recommendation_text(rec: ReportRecommendation, words: _Words) -> str:
    return words("fhir.report_recommendation", kind=words("kind.imaging"), modality=rec.modality or "")


def _diagnostic_report(
    analysis: Analysis, source_reference: str | None, results: list[str], words: _Words
) -> dict[str, Any]:
    report = analysis.report
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": ID_SYSTEM_REPORT, "value": report.id}],
        "status": "final",
        "category": [{"coding": [{"system": V2_0074, "code": "RAD"}]}],
        "code": {"text": words("fhir.report_code", modality=report.modality.value if report.modality else "")},
        "subject": patient_reference(report.patient_id, words),
        **_effective(analysis),
    }
    if source_reference and source_reference.startswith("DiagnosticReport/"):
        resource["id"] = source_reference.split("/", 1)[1]
    if results:
        resource["result"] = [{"reference": r} for r in results]
    if analysis.summary.headline.strip():
        resource["conclusion"] = analysis.summary.headline.strip()
    return resource


def _care_plan(
    analysis: Analysis, report_urn: str, requests: list[tuple[str, dict[str, Any]]],
    assessed: list[tuple[str, Lesion, Assessment]], words: _Words,
) -> dict[str, Any]:
    """The follow-up plan of the report: one activity per ServiceRequest, the assessed lesions as support."""
    lines = [f"{lesion.id} ({body_site_text(lesion, words)}): {_action(words, assessment)}"
             for _, lesion, assessment in assessed]
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "identifier": [{"system": ID_SYSTEM_REPORT, "value": f"{analysis.report.id}/care-plan"}],
        "status": "active",
        "intent": "proposal",
        "title": words("fhir.care_plan.title"),
        "description": words("fhir.care_plan.description", lines="; ".join(lines)),
        "subject": patient_reference(analysis.report.patient_id, words),
        "supportingInfo": [{"reference": report_urn}, *({"reference": urn} for urn, _, _ in assessed)],
        "activity": [{"reference": {"reference": urn}} for urn, _ in requests],
    }
    if analysis.summary.headline.strip():
        plan["note"] = [{"text": analysis.summary.headline.strip()}]
    if analysis.report.date:
        plan["created"] = analysis.report.date.isoformat()
    return plan


def analysis_to_bundle_dict(analysis: Analysis, *, source_reference: str | None = None) -> dict[str, Any]:
    """The Bundle as a JSON-ready dict, every resource validated with the R4B models."""
    report_urn = _urn("report", analysis.report.id)
    lesions = lesions_of(analysis)
    by_lesion = lesion_assessments(analysis, lesions)
    words = _words_for(analysis)
    observations: list[tuple[str, dict[str, Any]]] = []
    requests: list[tuple[str, dict[str, Any]]] = []
    assessed: list[tuple[str, Lesion, Assessment]] = []
    for lesion in lesions:
        if not affirmed(lesion):
            continue
        obs_urn = _urn("obs", analysis.report.id, lesion.id)
        assessment = by_lesion.get(lesion.id)
        observations.append((obs_urn, _observation(analysis, lesion, assessment, report_urn, words)))
        if assessment is not None:
            assessed.append((obs_urn, lesion, assessment))
            requests.extend(_engine_requests(analysis, lesion, assessment, obs_urn, report_urn, words))
    requests.extend(_report_requests(analysis, report_urn, [u for u, _ in observations], words))
    entries = [(report_urn, _diagnostic_report(analysis, source_reference, [u for u, _ in observations], words))]
    entries += observations + requests
    if requests:
        plan = _care_plan(analysis, report_urn, requests, assessed, words)
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
