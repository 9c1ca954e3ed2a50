"""``POST /api/v1/follow-ups/{follow_up_id}/status``: a coordinator moves a follow-up along its life cycle.

Why the use case :func:`~calcitrack.app.follow_ups.change_follow_up`: it checks the transition (closed
follow-ups never reopen, cancelling needs a reason) and writes the audit event, for the web worklist and
the CLI too; the API only maps its refusals to HTTP (unknown id 404, bad value 422, impossible
transition 409).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from calcitrack.api.limits import require_json
from calcitrack.api.settings import API_PREFIX
from calcitrack.app.auth import Principal
from calcitrack.app.follow_ups import FollowUpChange, change_follow_up
from calcitrack.app.http import ApiProblem, audit_source, engine_of, require
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import STATUSES

router = APIRouter(prefix=API_PREFIX, tags=["registry"], dependencies=[Depends(require_json)])


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(description=f"one of {', '.join(STATUSES)}")
    reason: str | None = Field(default=None, max_length=2000, description="required to cancel")


@router.post(
    "/follow-ups/{follow_up_id}/status",
    summary="Change the status of a follow-up",
    response_model=FollowUpChange,
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not change"},
               404: {"description": "No such follow-up"}, 409: {"description": "Transition not allowed"},
               422: {"description": "Invalid status, or cancelling without a reason"}},
)
def change_status(
    body: StatusChange,
    request: Request,
    principal: Annotated[Principal, Depends(require("follow_up:status"))],
    follow_up_id: Annotated[int, Path(ge=1)],
) -> FollowUpChange:
    if body.status not in STATUSES:
        # The rejected value is not echoed (docs/api.md: errors name the field, never repeat the input).
        raise ApiProblem(422, f"status: unknown status; expected one of {', '.join(STATUSES)}")
    if body.status == "cancelled" and not (body.reason and body.reason.strip()):
        raise ApiProblem(422, "reason: required to cancel a follow-up")
    with session_scope(engine_of(request)) as session:
        # FollowUpNotFound -> 404, TransitionRefused -> 409 transition-not-allowed (api/problems.py).
        return change_follow_up(session, follow_up_id, status=body.status, reason=body.reason,
                                actor=principal.name, source=audit_source(request))
