"""Helpers shared by the routes that touch patient data: the engine and the read audit.

Why audit reads here: the registry audits its own writes (ingest, status changes) inside
:func:`calcitrack.registry.ingest.record` and :func:`calcitrack.registry.followups.change_status`; reads
happen only in faces, so the API appends one ``read`` event per patient it shows, in the same
transaction as the query (no audit, no data).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from calcitrack.api.auth import audit_source
from calcitrack.api.auth_store import Principal
from calcitrack.registry import audit
from calcitrack.registry import tables as t


def check_policy(policy: str | None, field: str = "policy") -> None:
    """422 naming the field for an unknown KB policy (the KB would raise a KBError, i.e. a 500)."""
    from calcitrack.api.problems import ApiProblem
    from calcitrack.kb import get_kb

    kb = get_kb()
    if policy is not None and policy not in kb.policies:
        raise ApiProblem(422, f"{field}: unknown policy; expected one of {', '.join(sorted(kb.policies))}")


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def patient_pks(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Registry primary keys of the given patient keys (unknown keys are left out)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(select(t.Patient.key, t.Patient.id).where(t.Patient.key.in_(wanted))).all()
    return {key: pk for key, pk in rows}


def audit_patient_access(
    session: Session,
    request: Request,
    principal: Principal,
    pks: Iterable[int],
    *,
    event: str,
    what: str,
) -> None:
    """One audit event per patient: who (user and role), what (``what``), when, from where."""
    for pk in sorted(set(pks)):
        audit.log(
            session, actor=principal.name, source=audit_source(request), entity="patient", entity_pk=pk,
            event_name=event, detail=f"{what} (role {principal.role})",
        )
