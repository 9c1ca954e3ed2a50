"""``POST /api/v1/ingest``: one report or a list, the same JSON as a ``calcitrack ingest`` JSONL line.

Why through :func:`calcitrack.app.ingest.ingest_items`: the API must store exactly as the CLI does
(one transaction per report, unchanged reports skipped before the NLP, bad items reported and the others
still stored). The registry writes the audit events (``ingested``, ``created``) with the API user as
actor and ``api@<client>`` as source.

Why the items of a list are validated one by one here rather than by FastAPI: a body typed
``list[IngestReport]`` is refused whole when one item is malformed, so a feed sending 500 reports lost 499
good ones for one missing ``patient_id``. Each item now gets its own result, in request order:
``stored``, ``amended``, ``unchanged`` or ``rejected`` with the problem (``item N: field: message``, which
never quotes the item's values). The OpenAPI document still describes the body as one report or a list.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from calcitrack.api.auth import audit_source, require
from calcitrack.api.limits import require_json
from calcitrack.api.problems import ApiProblem, describe_errors
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


ItemStatus = Literal["stored", "amended", "unchanged", "rejected"]


class ItemResult(BaseModel):
    """What happened to one item of the request (its position from 1, in request order)."""

    item: int = Field(description="Position of the item in the request, from 1 (1 for a single report)")
    report_id: str | None = Field(description="The item's id, when it had a usable one")
    status: ItemStatus
    problem: str | None = Field(default=None, description="Why it was rejected ('item N ...: field: message')")
    version: int | None = Field(default=None, description="The stored version (not for a rejected item)")
    findings: int = 0
    follow_ups_created: list[int] = Field(default_factory=list)
    follow_ups_closed: list[int] = Field(default_factory=list)
    escalated: bool = False


class IngestResponse(BaseModel):
    stored: int
    amended: int
    unchanged: int
    rejected: int = Field(description="Items refused; the others were stored (or were already)")
    follow_ups_created: int
    items: list[ItemResult] = Field(description="One result per item, in request order")
    errors: list[str] = Field(description="The problem of each rejected item, as in `items` (kept for clients "
                                          "written before `items`)")
    reports: list[ReportResult] = Field(description="The accepted items only (kept for earlier clients)")


def _item_label(message: str) -> str:
    # The batch layer numbers JSONL lines; here the "line" is the item's position in the request.
    return "item " + message[len("line ") :] if message.startswith("line ") else message


_REPORT_SCHEMA = {k: v for k, v in IngestReport.model_json_schema(
    ref_template="#/components/schemas/{model}").items() if k != "$defs"}
BODY_SCHEMA = {"anyOf": [_REPORT_SCHEMA, {"type": "array", "items": _REPORT_SCHEMA, "minItems": 1}]}
"""The body as documented: one report or a list (items are validated one by one, not by FastAPI)."""


def _raw_id(raw: Any) -> str | None:
    """The id of an item that may be malformed, when it is a usable id (a rejected item is still named)."""
    report_id = raw.get("id") if isinstance(raw, dict) else None
    return report_id if isinstance(report_id, str) and 0 < len(report_id) <= 200 else None


def _parse_item(number: int, raw: Any) -> IngestReport | ItemResult:
    """The item as an :class:`IngestReport`, or its rejection (field and message, never its values)."""
    report_id = _raw_id(raw)
    label = f"item {number}" + (f" (report {report_id})" if report_id else "")
    if not isinstance(raw, dict):
        problem = f"{label}: expected a report object"
    else:
        try:
            return IngestReport.model_validate(raw)
        except ValidationError as exc:
            first = describe_errors(list(exc.errors()))[0]
            problem = f"{label}: {first['field'] or 'body'}: {first['message']}"
    return ItemResult(item=number, report_id=report_id, status="rejected", problem=problem)


def _ingest_one(request: Request, principal: Principal, number: int, report: IngestReport, *, amend: bool,
                policy: str | None) -> ItemResult:
    """One valid item through the ingest use case, in its own transaction (as every item of a list)."""
    item = Item(
        line=number,
        report=Report(id=report.id, patient_id=report.patient_id, date=report.date, modality=report.modality,
                      lang=report.lang, text=report.text),
        context=report.context,
        responsible=report.responsible,
    )
    summary = ingest_items(engine_of(request), iter([item]), policy=policy, amend=amend, actor=principal.name,
                           source=audit_source(request))
    if summary.errors:
        return ItemResult(item=number, report_id=report.id, status="rejected", problem=_item_label(summary.errors[0]))
    result = summary.results[0]
    status: ItemStatus = "stored" if result.status == "stored" else "amended" if result.status == "amended" \
        else "unchanged"
    return ItemResult(item=number, report_id=result.report_id, status=status, version=result.version,
                      findings=result.findings, follow_ups_created=list(result.follow_ups_created),
                      follow_ups_closed=list(result.follow_ups_closed), escalated=result.escalated)


@router.post(
    "/ingest",
    summary="Analyse and store one report or a list of reports",
    response_model=IngestResponse,
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not ingest"},
               422: {"description": "Invalid request, or every item was refused (`items` and `errors` say why)"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": BODY_SCHEMA}}}},
)
def ingest(
    body: Annotated[Any, Body(description="One report, or a list of reports")],  # schema: BODY_SCHEMA
    request: Request,
    principal: Annotated[Principal, Depends(require("ingest"))],
    amend: Annotated[bool, Query(description="a changed report becomes a new version")] = False,
    policy: Annotated[str | None, Query(description="KB policy; default: the KB's")] = None,
) -> Any:
    check_policy(policy)
    if not isinstance(body, dict | list):
        raise ApiProblem(422, "body: expected a report object or a list of report objects")
    if isinstance(body, dict):  # a single report: malformed is a plain 422 naming the field
        try:
            parsed: list[IngestReport | ItemResult] = [IngestReport.model_validate(body)]
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()],
                                         body=body) from None
    else:
        if not body:
            raise ApiProblem(422, "body: at least one report is required")
        parsed = [_parse_item(number, raw) for number, raw in enumerate(body, start=1)]
    results = [
        item if isinstance(item, ItemResult) else _ingest_one(request, principal, number, item, amend=amend,
                                                              policy=policy)
        for number, item in enumerate(parsed, start=1)
    ]
    errors = [r.problem for r in results if r.problem is not None]
    if all(r.status == "rejected" for r in results):
        raise ApiProblem(422, errors[0], slug="ingest-refused",
                         extra={"errors": errors, "items": [r.model_dump(mode="json") for r in results]})
    accepted = [r for r in results if r.status != "rejected"]
    return IngestResponse(
        stored=sum(r.status == "stored" for r in results), amended=sum(r.status == "amended" for r in results),
        unchanged=sum(r.status == "unchanged" for r in results), rejected=len(errors),
        follow_ups_created=sum(len(r.follow_ups_created) for r in results), items=results, errors=errors,
        reports=[ReportResult(report_id=r.report_id or "", status=r.status, version=r.version or 0,
                              findings=r.findings, follow_ups_created=r.follow_ups_created,
                              follow_ups_closed=r.follow_ups_closed, escalated=r.escalated) for r in accepted],
    )
