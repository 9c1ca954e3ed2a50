"""CDS Hooks 2.0: discovery and a ``patient-view`` service listing a patient's calcification follow-ups.

Endpoints (mounted at the application root, because the spec fixes ``/cds-services``):

- ``GET /cds-services`` - discovery; open, it carries no patient data (EHRs fetch it when registering
  the service).
- ``POST /cds-services/calcitrack-followups`` - the hook call; cards for the patient's open and overdue
  follow-ups and for affirmed, actionable lesions that no follow-up tracks ("unaddressed"), one card per
  lesion (schema 2.0), not per mention.
- ``POST /cds-services/calcitrack-followups/feedback`` - accepted / overridden cards, appended to the
  registry's audit log (entity ``follow_up`` or ``finding``, event ``cds_feedback``), idempotent.

Why these auth rules: CDS Hooks clients authenticate with a signed JWT; verifying one needs a JOSE
library the project does not ship yet, so the hook and feedback calls accept the API's own credentials
(``X-API-Key`` or ``Authorization: Bearer ctk_...``) of a ``clinician``, ``service`` (the EHR's
integration account) or ``admin`` key, through the API's authentication dependency. Every card response
is a read of patient data and is audited like the API's reads.

The cards themselves (what is open, overdue, unaddressed; one card per lesion; card uuids) and the
feedback record are the use case :mod:`calcitrack.app.cds`, built from the same worklist and timeline
read models as the API and the web UI; this module is the CDS Hooks face: routes, request models, auth.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from calcitrack import settings
from calcitrack.app.auth import Principal
from calcitrack.app.cds import (
    OVERRIDE_REASONS,
    SERVICE_ID,
    Feedback,
    card_uuid,
    parse_card_uuid,
    patient_cards,
    record_feedback,
)
from calcitrack.app.http import ApiProblem, current_principal, engine_of, reader
from calcitrack.registry.db import session_scope
from calcitrack.settings import get_settings

__all__ = ["OVERRIDE_REASONS", "SERVICE_ID", "card_uuid", "parse_card_uuid", "router"]

ENV_PUBLIC_URL = settings.ENV_PUBLIC_URL
ALLOWED_ROLES = ("clinician", "service", "admin")
CHANNEL = "cds"
"""Audit source of CDS calls: ``cds@<client address>``."""

router = APIRouter(tags=["cds-hooks"])


def cds_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """The API caller, limited to roles that may see a patient's follow-ups in the EHR."""
    if principal.role not in ALLOWED_ROLES:
        raise ApiProblem(403, f"role {principal.role!r} may not call CDS services; allowed: {', '.join(ALLOWED_ROLES)}")
    return principal


CdsCaller = Annotated[Principal, Depends(cds_principal)]


class HookContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    patientId: str = Field(min_length=1, max_length=128)
    userId: str | None = None
    encounterId: str | None = None


class HookRequest(BaseModel):
    """The POST body of a hook call (CDS Hooks 2.0 §"HTTP Request"); extra members are allowed."""

    model_config = ConfigDict(extra="allow")

    hook: str
    hookInstance: str = Field(min_length=1)
    context: HookContext
    fhirServer: str | None = None
    prefetch: dict[str, Any] | None = None


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    card: str = Field(min_length=1, max_length=100)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: dict[str, Any] | None = None
    outcomeTimestamp: dt.datetime


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    feedback: list[FeedbackItem] = Field(min_length=1)


def public_base(request: Request) -> str:
    """``CALCITRACK_PUBLIC_URL`` (behind a proxy the request's own base is not what the EHR can reach)."""
    configured = (get_settings().public_url or "").strip()
    return (configured or str(request.base_url)).rstrip("/")


def _candidates(body: HookRequest) -> list[str]:
    """The registry patient keys to try: ``context.patientId``, then identifiers of the prefetched Patient."""
    candidates = [body.context.patientId]
    patient = (body.prefetch or {}).get("patient")
    if isinstance(patient, dict) and patient.get("resourceType") == "Patient":
        identifiers = patient.get("identifier") or []
        candidates += [str(i["value"]) for i in identifiers if isinstance(i, dict) and i.get("value")]
    return candidates


@router.get("/cds-services", summary="CDS Hooks discovery")
def discovery() -> dict[str, Any]:
    return {
        "services": [
            {
                "hook": "patient-view",
                "id": SERVICE_ID,
                "title": "Calcification follow-ups",
                "description": (
                    "Lists the patient's open and overdue follow-ups of calcification findings from imaging "
                    "reports, and actionable findings that no follow-up tracks, with a link to the timeline."
                ),
                "prefetch": {"patient": "Patient/{{context.patientId}}"},
                "usageRequirements": "Patient ids must be the keys used when reports were sent to calcitrack.",
            }
        ]
    }


@router.post(f"/cds-services/{SERVICE_ID}", summary="patient-view hook: calcification follow-up cards")
def patient_view(body: HookRequest, request: Request, principal: CdsCaller) -> dict[str, Any]:
    if body.hook != "patient-view":
        raise ApiProblem(400, f"this hook is not supported by {SERVICE_ID}; use patient-view")
    with session_scope(engine_of(request)) as session:
        cards = patient_cards(session, reader(request, principal, CHANNEL), _candidates(body), public_base(request))
    return {"cards": cards}


@router.post(f"/cds-services/{SERVICE_ID}/feedback", summary="Card feedback: accepted or overridden")
def feedback(body: FeedbackRequest, request: Request, principal: CdsCaller) -> dict[str, Any]:
    items = []
    for item in body.feedback:
        reason = (item.overrideReason or {}).get("reason")
        items.append(Feedback(
            card=item.card, outcome=item.outcome,
            reason_code=reason.get("code") if isinstance(reason, dict) else None,
            accepted=[s.get("id") for s in item.acceptedSuggestions or [] if isinstance(s, dict)],
            at=item.outcomeTimestamp.isoformat(),
        ))  # userComment is free text (may name the patient): not stored
    with session_scope(engine_of(request)) as session:
        recorded, duplicates = record_feedback(session, reader(request, principal, CHANNEL), items)
    return {"recorded": recorded, "duplicates": duplicates}
