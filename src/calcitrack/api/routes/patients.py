"""``GET /api/v1/patients/{patient_id}/timeline``: everything the registry knows about one patient.

The patient key travels in the path, so the access log records the route *template* only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from calcitrack.api.auth import require
from calcitrack.api.auth_store import Principal
from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.common import audit_patient_access, engine_of, patient_pks
from calcitrack.api.settings import API_PREFIX
from calcitrack.errors import InputError
from calcitrack.registry import queries
from calcitrack.registry.db import session_scope

router = APIRouter(prefix=API_PREFIX, tags=["registry"])


@router.get(
    "/patients/{patient_id}/timeline",
    summary="A patient's reports, findings and follow-ups in date order (no report text)",
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not read"},
               404: {"description": "No such patient"}},
)
def timeline(
    request: Request,
    principal: Annotated[Principal, Depends(require("timeline:read"))],
    patient_id: Annotated[str, Path(min_length=1, max_length=128)],
) -> dict[str, Any]:
    with session_scope(engine_of(request)) as session:
        try:
            result = queries.timeline(session, patient_id)
        except InputError as exc:
            raise ApiProblem(404, "no patient with this id in the registry") from exc
        pks = patient_pks(session, [patient_id])
        audit_patient_access(session, request, principal, pks.values(), event="read", what="timeline")
    return result
