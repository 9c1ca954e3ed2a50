"""``GET /api/v1/worklist``: follow-ups to act on, earliest due first (``calcitrack worklist`` as JSON).

The rows, "overdue" and the ``read`` audit event per patient on the page come from the use case
:func:`calcitrack.app.worklist.read_worklist`; the web worklist and CDS Hooks render the same model.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from calcitrack.api.settings import API_PREFIX
from calcitrack.app.auth import Principal
from calcitrack.app.http import engine_of, reader, require
from calcitrack.app.worklist import Worklist, read_worklist
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import STATUSES

router = APIRouter(prefix=API_PREFIX, tags=["registry"])


@router.get(
    "/worklist",
    summary="Follow-ups to act on (open ones unless `status` says otherwise)",
    response_model=Worklist,
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
) -> Worklist:
    with session_scope(engine_of(request)) as session:
        # An unknown status is InvalidInput, 422 by api/problems.py, with a detail that does not echo it.
        return read_worklist(session, reader(request, principal), statuses=status, due_before=due_before,
                             limit=limit)
