"""``POST /api/v1/follow-ups/{id}/status``: a coordinator moves a follow-up along its life cycle.

Why the registry's :func:`~calcitrack.registry.followups.change_status`: it checks the transition
(closed follow-ups never reopen, cancelling needs a reason) and writes the audit event; the API only
maps its refusals to HTTP (unknown id 404, bad value 422, impossible transition 409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from calcitrack.api.auth import audit_source, require
from calcitrack.api.auth_store import Principal
from calcitrack.api.limits import require_json
from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.common import engine_of
from calcitrack.api.settings import API_PREFIX
from calcitrack.errors import InputError
from calcitrack.registry import followups
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import STATUSES, FollowUp

router = APIRouter(prefix=API_PREFIX, tags=["registry"], dependencies=[Depends(require_json)])


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(description=f"one of {', '.join(STATUSES)}")
    reason: str | None = Field(default=None, max_length=2000, description="required to cancel")


@router.post(
    "/follow-ups/{follow_up_id}/status",
    summary="Change the status of a follow-up",
    responses={401: {"description": "No or invalid credentials"}, 403: {"description": "Role may not change"},
               404: {"description": "No such follow-up"}, 409: {"description": "Transition not allowed"},
               422: {"description": "Invalid status, or cancelling without a reason"}},
)
def change_status(
    body: StatusChange,
    request: Request,
    principal: Annotated[Principal, Depends(require("follow_up:status"))],
    follow_up_id: Annotated[int, Path(ge=1)],
) -> dict[str, Any]:
    if body.status not in STATUSES:
        # The rejected value is not echoed (docs/api.md: errors name the field, never repeat the input).
        raise ApiProblem(422, f"status: unknown status; expected one of {', '.join(STATUSES)}")
    if body.status == "cancelled" and not (body.reason and body.reason.strip()):
        raise ApiProblem(422, "reason: required to cancel a follow-up")
    with session_scope(engine_of(request)) as session:
        row = session.get(FollowUp, follow_up_id)
        if row is None:
            raise ApiProblem(404, f"no follow-up with id {follow_up_id}")
        previous = row.status
        try:
            followups.change_status(
                session, row, body.status, actor=principal.name, source=audit_source(request), reason=body.reason
            )
        except InputError as exc:
            raise ApiProblem(409, str(exc), slug="transition-not-allowed") from exc
        return {
            "follow_up_id": row.id,
            "previous_status": previous,
            "status": row.status,
            "due_date": row.due_date.isoformat(),
            "completed_on": row.completed_on.isoformat() if row.completed_on else None,
            "closed_reason": row.closed_reason,
        }
