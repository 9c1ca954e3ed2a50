"""``GET /api/v1/patients/{patient_id}/timeline``: everything the registry knows about one patient.

The model and the read audit come from :func:`calcitrack.app.timeline.read_timeline` (the web timeline
and CDS Hooks use the same). The patient key travels in the path, so the access log records the route *template* only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from calcitrack.api.settings import API_PREFIX
from calcitrack.app.auth import Principal
from calcitrack.app.http import engine_of, reader, require
from calcitrack.app.timeline import Timeline, read_timeline
from calcitrack.registry.db import session_scope

router = APIRouter(prefix=API_PREFIX, tags=["registry"])


@router.get(
    "/patients/{patient_id}/timeline",
    summary="A patient's reports, lesions, findings and follow-ups in date order (no report text)",
    response_model=Timeline,
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not read"},
               404: {"description": "No such patient"}},
)
def timeline(
    request: Request,
    principal: Annotated[Principal, Depends(require("timeline:read"))],
    patient_id: Annotated[str, Path(min_length=1, max_length=128)],
) -> Timeline:
    with session_scope(engine_of(request)) as session:
        return read_timeline(session, reader(request, principal), patient_id)  # NotFound: 404 (api/problems.py)
