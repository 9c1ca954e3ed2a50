"""``GET /api/v1/worklist``: follow-ups to act on, earliest due first (``calcitrack worklist`` as JSON).

Every patient on the returned page gets a ``read`` audit event: a worklist shows patient keys and
findings, so it is a read of patient data like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from calcitrack.api.auth import require
from calcitrack.api.auth_store import Principal
from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.common import audit_patient_access, engine_of, patient_pks
from calcitrack.api.settings import API_PREFIX
from calcitrack.errors import InputError
from calcitrack.registry import queries
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import STATUSES

router = APIRouter(prefix=API_PREFIX, tags=["registry"])


@router.get(
    "/worklist",
    summary="Follow-ups to act on (open ones unless `status` says otherwise)",
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not read"}},
)
def worklist(
    request: Request,
    principal: Annotated[Principal, Depends(require("worklist:read"))],
    status: Annotated[
        list[str] | None, Query(description=f"repeatable; one of {', '.join(STATUSES)}; default: open statuses")
    ] = None,
    due_before: Annotated[dt.date | None, Query(description="only follow-ups due before this date")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    with session_scope(engine_of(request)) as session:
        try:
            rows = queries.worklist(session, statuses=status, due_before=due_before, limit=limit)
        except InputError as exc:
            # Not str(exc): it quotes the rejected value, and errors never echo the input.
            raise ApiProblem(422, f"status: unknown status; expected one of {', '.join(STATUSES)}") from exc
        pks = patient_pks(session, [row["patient_id"] for row in rows])
        audit_patient_access(session, request, principal, pks.values(), event="read", what="worklist")
    return {"count": len(rows), "items": rows}
