"""Helpers shared by the API routes: the policy check, and the audit of the analyze route's patient reads.

The worklist, timeline and follow-up routes get their audit from the use cases in :mod:`calcitrack.app`
(:mod:`calcitrack.app.access` names the reader and its source once for every face).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from sqlalchemy.orm import Session

from calcitrack.app.access import patient_pks as patient_pks
from calcitrack.app.auth import Principal
from calcitrack.app.http import engine_of as engine_of
from calcitrack.app.http import reader
from calcitrack.registry import audit


def check_policy(policy: str | None, field: str = "policy") -> None:
    """422 naming the field for an unknown KB policy (the KB would raise a KBError, i.e. a 500)."""
    from calcitrack.api.problems import ApiProblem
    from calcitrack.kb import get_kb

    kb = get_kb()
    if policy is not None and policy not in kb.policies:
        raise ApiProblem(422, f"{field}: unknown policy; expected one of {', '.join(sorted(kb.policies))}")


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
    source = reader(request, principal).source
    for pk in sorted(set(pks)):
        audit.log(
            session, actor=principal.name, source=source, entity="patient", entity_pk=pk,
            event_name=event, detail=f"{what} (role {principal.role})",
        )
