"""``POST /api/v1/analyze``: a report (or just its text) in, the :class:`~calcitrack.models.Analysis` out.

Why it stores nothing but is still audited: the body is patient text, so who analysed what, when and
from where is recorded (entity ``patient`` when the report names a patient the registry knows, else
entity ``analysis``); the text itself is neither stored nor logged.

``format=fhir`` answers the analysis as a FHIR R4 Bundle (``application/fhir+json``), as ``calcitrack
analyze --format fhir`` prints it; any other ``format`` is a 422 naming the allowed values (the query
parameter's type), so there is no "not supported yet" answer left.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from calcitrack.api.auth import audit_source, require
from calcitrack.api.limits import require_json
from calcitrack.api.routes.policy_and_audit import audit_patient_access, check_policy, engine_of, patient_pks
from calcitrack.api.settings import API_PREFIX
from calcitrack.app.analyze import analyze
from calcitrack.app.auth import Principal
from calcitrack.app.policies import PolicyComparison, compare_policies
from calcitrack.models import Analysis, Lang, Modality, PatientContext, Report
from calcitrack.registry import audit
from calcitrack.registry.db import session_scope

router = APIRouter(prefix=API_PREFIX, tags=["analysis"], dependencies=[Depends(require_json)])

def _upper_modality(value: object) -> object:
    return value.upper() if isinstance(value, str) and value.upper() in ("US", "CT", "MR", "XR") else value


class AnalyzeRequest(BaseModel):
    """The report: only ``text`` is required; the other fields are those of a ``calcitrack ingest`` line."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The report text (English or French)")
    id: str | None = Field(default=None, max_length=200)
    patient_id: str | None = Field(default=None, max_length=128)
    date: dt.date | None = None
    modality: Modality | None = None
    lang: Lang | None = Field(default=None, description="en or fr; detected when omitted")
    context: PatientContext | None = Field(default=None, description="What is known about the patient")
    policy: str | None = Field(default=None, description="KB policy (standard, seed); default: the KB's")

    _modality = field_validator("modality", mode="before")(_upper_modality)

    def to_report(self) -> Report:
        return Report(
            id=self.id or "report", patient_id=self.patient_id, date=self.date, modality=self.modality,
            lang=self.lang, text=self.text,
        )


def _audit_analysis(request: Request, principal: Principal, patient_id: str | None, detail: str) -> None:
    """An analysis reads patient data when the report names a known patient (audited per patient);
    otherwise it is audited as an anonymous analysis by this principal."""
    with session_scope(engine_of(request)) as session:
        known = patient_pks(session, [patient_id]) if patient_id else {}
        if known:
            audit_patient_access(session, request, principal, known.values(), event="analyze", what=detail)
        else:
            audit.log(
                session, actor=principal.name, source=audit_source(request),
                entity="analysis", entity_pk=0, event_name="analyze", detail=f"{detail} (role {principal.role})",
            )


@router.post(
    "/analyze",
    summary="Analyse one report: findings, context, assessments",
    response_class=Response,
    responses={
        200: {"model": Analysis, "description": "The analysis (format=json), or a FHIR R4 Bundle (format=fhir)",
              "content": {"application/json": {}, "application/fhir+json": {}}},
        401: {"description": "No or invalid credentials"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid request; `detail` names the field"},
    },
)
def analyze_route(
    body: AnalyzeRequest,
    request: Request,
    principal: Annotated[Principal, Depends(require("analyze"))],
    output: Annotated[
        Literal["json", "fhir"], Query(alias="format", description="json, or fhir (a FHIR R4 Bundle)")
    ] = "json",
) -> Response:
    check_policy(body.policy)
    analysis = analyze(body.to_report(), context=body.context, policy=body.policy)
    _audit_analysis(request, principal, body.patient_id, f"analyze: {len(analysis.findings)} finding(s)")
    if output == "fhir":
        from calcitrack.interop.fhir_out import analysis_to_bundle

        return Response(analysis_to_bundle(analysis), media_type="application/fhir+json")
    return Response(analysis.model_dump_json(), media_type="application/json")


@router.post(
    "/analyze/policies",
    summary="Analyse one report and compare what every KB policy decides for each lesion",
    response_model=PolicyComparison,
    responses={
        401: {"description": "No or invalid credentials"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid request; `detail` names the field"},
    },
)
def compare_policies_route(
    body: AnalyzeRequest,
    request: Request,
    principal: Annotated[Principal, Depends(require("analyze"))],
) -> PolicyComparison:
    """The report is analysed under ``policy`` (default: the KB's); each assessed lesion then lists every
    policy's action and recommendations, the chosen one first. Audited like ``/analyze``; nothing is stored."""
    check_policy(body.policy)
    analysis = analyze(body.to_report(), context=body.context, policy=body.policy)
    comparison = compare_policies(analysis)
    _audit_analysis(request, principal, body.patient_id, f"compare policies: {len(comparison.lesions)} lesion(s)")
    return comparison
