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

Card identity: a card's ``uuid`` encodes the registry row it stands for (``ca1cf011-…`` follow-up,
``ca1cf1d0-…`` finding, row id in the last group), so feedback can be tied to the row without storing the
cards; the same row gives the same uuid in every response, which also makes feedback idempotent.

Lesions: a report names one lesion several times (findings, impression); the registry stores every
mention as a ``findings`` row and points a restatement at its lesion's lead row (``mention_of_pk``). The
cards group rows by that lead (:func:`lesion_leads`): one lesion gives one follow-up card (its most
pressing open follow-up; others of the same lesion are listed in the card's detail) or one unaddressed
card (the lead row's uuid), and a follow-up stored on any mention of a lesion counts as tracking it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from calcitrack.api.auth import audit_source, current_principal
from calcitrack.api.auth_store import Principal
from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.common import audit_patient_access, engine_of
from calcitrack.models import ACTION_RANK
from calcitrack.registry import audit, queries
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope

SERVICE_ID = "calcitrack-followups"
ENV_PUBLIC_URL = "CALCITRACK_PUBLIC_URL"
SOURCE_LABEL = "calcitrack calcification follow-up registry"
ALLOWED_ROLES = ("clinician", "service", "admin")
INDICATOR = {"surveillance": "info", "workup": "warning", "urgent": "critical"}
ACTIONABLE = tuple(INDICATOR)
STORED_RANK = {action.value: rank for action, rank in ACTION_RANK.items()}
"""Stored actions (strings) in the order of :data:`calcitrack.models.ACTION_RANK`."""
MAX_SUMMARY = 139
"""The spec says the summary should be under 140 characters."""
OVERRIDE_SYSTEM = "urn:calcitrack:cds:override-reason"
OVERRIDE_REASONS = (
    ("not-indicated", "Follow-up not clinically indicated"),
    ("done-elsewhere", "Already performed elsewhere"),
    ("not-responsible", "I am not the responsible clinician"),
)
"""Local codes (calcitrack's own code system): no standard value set exists for these reasons."""
_CARD_PREFIX = {"follow_up": "ca1cf011", "finding": "ca1cf1d0"}
_CARD_UUID = re.compile(r"^(ca1cf011|ca1cf1d0)-0000-4000-8000-([0-9a-f]{12})$")
FEEDBACK_EVENT = "cds_feedback"

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


def card_uuid(entity: str, pk: int) -> str:
    return f"{_CARD_PREFIX[entity]}-0000-4000-8000-{pk:012x}"


def parse_card_uuid(value: str) -> tuple[str, int] | None:
    match = _CARD_UUID.match(value.lower())
    if not match:
        return None
    entity = "follow_up" if match.group(1) == _CARD_PREFIX["follow_up"] else "finding"
    return entity, int(match.group(2), 16)


def public_base(request: Request) -> str:
    """``CALCITRACK_PUBLIC_URL`` (behind a proxy the request's own base is not what the EHR can reach)."""
    configured = os.environ.get(ENV_PUBLIC_URL, "").strip()
    return (configured or str(request.base_url)).rstrip("/")


def _short(text: str, limit: int = MAX_SUMMARY) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _where(organ: str | None, site: str | None, size: float | None) -> str:
    parts = [(organ or "calcification").replace("_", " ")]
    if site:
        parts.append(site.replace("_", " "))
    where = ", ".join(parts)
    return f"{where}, {size:g} mm" if size is not None else where


def _clean(value: Any) -> Any:
    """Drop ``None`` and empty values (the spec forbids nulls and empty strings, lists and objects)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_clean(v) for v in value) if v not in (None, "", [], {})]
    return value


def _card(uuid: str, summary: str, detail: str, indicator: str, link: str, base: str) -> dict[str, Any]:
    card: dict[str, Any] = _clean({
        "uuid": uuid,
        "summary": _short(summary),
        "detail": detail,
        "indicator": indicator,
        "source": {"label": SOURCE_LABEL, "url": base},
        "overrideReasons": [{"system": OVERRIDE_SYSTEM, "code": c, "display": d} for c, d in OVERRIDE_REASONS],
        "links": [{"label": "Open the calcification timeline", "url": link, "type": "absolute"}],
    })
    return card


def lesion_leads(session: Session, finding_pks: list[int]) -> dict[int, int]:
    """Finding row -> the lead row of its lesion (``mention_of_pk`` for a restatement, else itself)."""
    if not finding_pks:
        return {}
    rows = session.execute(select(t.Finding.id, t.Finding.mention_of_pk).where(t.Finding.id.in_(finding_pks)))
    return {pk: lead if lead is not None else pk for pk, lead in rows}


def follow_up_cards(session: Session, patient_key: str, base: str, today: dt.date) -> list[dict[str, Any]]:
    """One card per lesion with open follow-ups (its most pressing one), overdue ones first."""
    link = f"{base}/ui/patients/{quote(patient_key, safe='')}"
    rows = queries.worklist(session, patient=patient_key, limit=None)
    leads = lesion_leads(session, sorted({row["finding_id"] for row in rows}))
    by_lesion: dict[int, list[tuple[bool, str, int, dict[str, Any]]]] = {}
    for row in rows:
        due = dt.date.fromisoformat(row["due_date"])
        overdue = row["status"] == "overdue" or due < today
        lead = leads.get(row["finding_id"], row["finding_id"])
        by_lesion.setdefault(lead, []).append((not overdue, row["due_date"], row["follow_up_id"], row))
    cards = []
    for items in by_lesion.values():
        items.sort(key=lambda item: item[:3])
        not_overdue, due_date, _, row = items[0]
        state = "Open" if not_overdue else "Overdue"
        where = _where(row["organ"], row["site"], row["size_mm"])
        summary = f"{state} calcification follow-up ({where}), due {due_date}: {row['what']}"
        others = [f"- Also open for this lesion: {other['what']} (due {other['due_date']}, status {other['status']})"
                  for *_, other in items[1:]]
        detail = "\n".join([
            f"**{state} follow-up** for a calcification ({where}), action level **{row['action']}**.",
            "",
            f"- What: {row['what']}",
            f"- Due: {due_date} (status {row['status']})",
            f"- From report: {row['report_id']}",
            *([f"- Responsible: {row['responsible']}"] if row["responsible"] else []),
            *others,
        ])
        cards.append((not_overdue, due_date, _card(
            card_uuid("follow_up", row["follow_up_id"]), summary, detail,
            INDICATOR.get(row["action"], "info"), link, base,
        )))
    return [card for *_, card in sorted(cards, key=lambda c: (c[0], c[1]))]


def _first(values: list[Any]) -> Any:
    return next((v for v in values if v is not None), None)


def unaddressed_cards(session: Session, patient_key: str, base: str) -> list[dict[str, Any]]:
    """One card per affirmed lesion whose assessment asks for action but that no follow-up (any status)
    tracks, on any of its mentions."""
    link = f"{base}/ui/patients/{quote(patient_key, safe='')}"
    rows = session.scalars(
        select(t.Finding)
        .join(t.Report, t.Finding.report_pk == t.Report.id)
        .join(t.Patient, t.Finding.patient_pk == t.Patient.id)
        .where(
            t.Patient.key == patient_key, t.Report.is_current.is_(True), t.Finding.negated.is_(False),
            t.Finding.historical.is_(False),
        )
        .order_by(t.Report.date, t.Finding.id)
    ).all()
    tracked = set(session.scalars(
        select(t.FollowUp.finding_pk).join(t.Patient, t.FollowUp.patient_pk == t.Patient.id)
        .where(t.Patient.key == patient_key)
    ).all()) if rows else set()
    lesions: dict[int, list[t.Finding]] = {}
    for finding in rows:  # lesions in order of their first mention
        lead = finding.mention_of_pk if finding.mention_of_pk is not None else finding.id
        lesions.setdefault(lead, []).append(finding)
    cards = []
    for lead_pk, group in lesions.items():
        if any(m.id in tracked for m in group):
            continue
        mentions = sorted(group, key=lambda m: m.id != lead_pk)  # the lead row first: its values win
        verdicts = [m.assessments[-1] for m in mentions if m.assessments]
        # the lead's (the lesion's assessment); rows stored before lesions existed: the highest of the mentions'
        latest = (verdicts[0] if mentions[0].id == lead_pk and mentions[0].assessments
                  else max(verdicts, key=lambda a: STORED_RANK.get(a.action, -1), default=None))
        if latest is None or latest.action not in ACTIONABLE:
            continue
        where = _where(_first([m.organ for m in mentions]), _first([m.site for m in mentions]),
                       _first([m.size_mm for m in mentions]))
        report = mentions[0].report
        date = report.date.isoformat() if report.date else "undated report"
        named = f" (named {len(mentions)} times in the report)" if len(mentions) > 1 else ""
        summary = f"Calcification ({where}) assessed as {latest.action} has no follow-up tracked ({date})"
        detail = (
            f"The report **{report.report_id}** ({date}) describes a calcification ({where}){named} that "
            f"calcitrack assessed as **{latest.action}**, but no follow-up is tracked for it in the registry."
        )
        cards.append(_card(card_uuid("finding", lead_pk), summary, detail, INDICATOR[latest.action], link, base))
    return cards


def _patient_key(session: Session, body: HookRequest) -> tuple[str, int] | None:
    """The registry patient: ``context.patientId``, else an identifier of the prefetched Patient."""
    candidates = [body.context.patientId]
    patient = (body.prefetch or {}).get("patient")
    if isinstance(patient, dict) and patient.get("resourceType") == "Patient":
        identifiers = patient.get("identifier") or []
        candidates += [str(i["value"]) for i in identifiers if isinstance(i, dict) and i.get("value")]
    for key in candidates:
        pk = session.scalar(select(t.Patient.id).where(t.Patient.key == key))
        if pk is not None:
            return key, pk
    return None


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
    base = public_base(request)
    with session_scope(engine_of(request)) as session:
        found = _patient_key(session, body)
        if found is None:
            return {"cards": []}
        key, pk = found
        cards = follow_up_cards(session, key, base, dt.date.today()) + unaddressed_cards(session, key, base)
        audit_patient_access(session, request, principal, [pk], event="cds_view",
                             what=f"cds-hooks patient-view: {len(cards)} card(s)")
    return {"cards": cards}


@router.post(f"/cds-services/{SERVICE_ID}/feedback", summary="Card feedback: accepted or overridden")
def feedback(body: FeedbackRequest, request: Request, principal: CdsCaller) -> dict[str, Any]:
    recorded = duplicates = 0
    with session_scope(engine_of(request)) as session:
        for item in body.feedback:
            target = parse_card_uuid(item.card)
            entity, pk = target if target else ("cds_card", 0)
            reason = (item.overrideReason or {}).get("reason")
            detail = json.dumps({
                "service": SERVICE_ID,
                "card": item.card,
                "outcome": item.outcome,
                "reason": reason.get("code") if isinstance(reason, dict) else None,
                "accepted": [s.get("id") for s in item.acceptedSuggestions or [] if isinstance(s, dict)],
                "at": item.outcomeTimestamp.isoformat(),
            }, sort_keys=True)  # userComment is free text (may name the patient): not stored
            exists = session.scalar(
                select(t.AuditEvent.id).where(
                    t.AuditEvent.entity == entity, t.AuditEvent.entity_pk == pk,
                    t.AuditEvent.event == FEEDBACK_EVENT, t.AuditEvent.detail == detail,
                )
            )
            if exists is not None:
                duplicates += 1
                continue
            audit.log(session, actor=principal.name, source=audit_source(request), entity=entity, entity_pk=pk,
                      event_name=FEEDBACK_EVENT, new=item.outcome, detail=detail)
            recorded += 1
    return {"recorded": recorded, "duplicates": duplicates}
