"""``POST /api/v1/ingest``: one report or a list, the same JSON as a ``calcitrack ingest`` JSONL line.

Why through :func:`calcitrack.app.ingest.ingest_items`: the API must store exactly as the CLI does
(one transaction per report, unchanged reports skipped before the NLP, bad items reported and the others
still stored). The registry writes the audit events (``ingested``, ``created``) with the API user as
actor and ``api@<client>`` as source.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from calcitrack.api.auth import audit_source, require
from calcitrack.api.limits import require_json
from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.analyze import _upper_modality
from calcitrack.api.routes.policy_and_audit import check_policy, engine_of
from calcitrack.api.settings import API_PREFIX
from calcitrack.app.auth import Principal
from calcitrack.app.ingest import Item, ingest_items
from calcitrack.models import Lang, Modality, PatientContext, Report

router = APIRouter(prefix=API_PREFIX, tags=["registry"], dependencies=[Depends(require_json)])


class IngestReport(BaseModel):
    """One report to analyse and store; ``id`` identifies it (same id, same content = no-op)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    patient_id: str = Field(min_length=1, max_length=128, description="Pseudonymous patient key")
    date: dt.date | None = None
    modality: Modality | None = None
    lang: Lang | None = None
    text: str = Field(min_length=1)
    context: PatientContext | None = None
    responsible: str | None = Field(default=None, max_length=200)

    _modality = field_validator("modality", mode="before")(_upper_modality)


class ReportResult(BaseModel):
    report_id: str
    status: str = Field(description="stored, amended or unchanged")
    version: int
    findings: int
    follow_ups_created: list[int]
    follow_ups_closed: list[int]
    escalated: bool


class IngestResponse(BaseModel):
    stored: int
    amended: int
    unchanged: int
    follow_ups_created: int
    errors: list[str] = Field(description="One message per refused item, starting with 'item N'")
    reports: list[ReportResult]


def _item_label(message: str) -> str:
    # The batch layer numbers JSONL lines; here the "line" is the item's position in the request.
    return "item " + message[len("line ") :] if message.startswith("line ") else message


@router.post(
    "/ingest",
    summary="Analyse and store one report or a list of reports",
    response_model=IngestResponse,
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not ingest"},
               422: {"description": "Invalid request, or every item was refused (`errors` lists why)"}},
)
def ingest(
    body: IngestReport | list[IngestReport],
    request: Request,
    principal: Annotated[Principal, Depends(require("ingest"))],
    amend: Annotated[bool, Query(description="a changed report becomes a new version")] = False,
    policy: Annotated[str | None, Query(description="KB policy; default: the KB's")] = None,
) -> Any:
    check_policy(policy)
    reports = body if isinstance(body, list) else [body]
    if not reports:
        raise ApiProblem(422, "body: at least one report is required")
    items = [
        Item(
            line=number,
            report=Report(id=r.id, patient_id=r.patient_id, date=r.date, modality=r.modality, lang=r.lang, text=r.text),
            context=r.context,
            responsible=r.responsible,
        )
        for number, r in enumerate(reports, start=1)
    ]
    summary = ingest_items(
        engine_of(request), iter(items), policy=policy, amend=amend, actor=principal.name,
        source=audit_source(request),
    )
    errors = [_item_label(message) for message in summary.errors]
    if errors and not summary.results:
        raise ApiProblem(422, errors[0], slug="ingest-refused", extra={"errors": errors})
    return IngestResponse(
        stored=summary.stored, amended=summary.amended, unchanged=summary.unchanged,
        follow_ups_created=summary.follow_ups_created, errors=errors,
        reports=[ReportResult(**result.__dict__) for result in summary.results],
    )
