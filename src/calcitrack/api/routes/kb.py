"""``/api/v1/kb/...``: the knowledge base's conditions and rules, open to anyone.

Why open: the KB is published clinical reference content with its sources, no patient data; letting
anyone read it is what makes the assessments checkable.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from calcitrack.api.problems import ApiProblem
from calcitrack.api.routes.policy_and_audit import check_policy
from calcitrack.api.settings import API_PREFIX
from calcitrack.kb import get_kb

router = APIRouter(prefix=f"{API_PREFIX}/kb", tags=["knowledge base"])


@router.get("/conditions", summary="Conditions of the knowledge base (id, organs, names, category, summary)")
def conditions(organ: Annotated[str | None, Query(description="only conditions of this organ")] = None) -> Any:
    kb = get_kb()
    items = [
        {
            "id": c.id, "organs": c.organs, "names": c.names.model_dump(), "category": c.category,
            "summary": c.summary.model_dump(),
        }
        for c in kb.conditions.values()
        if organ is None or organ in c.organs
    ]
    return {"kb_version": kb.kb_version, "count": len(items), "conditions": items}


@router.get("/conditions/{condition_id}", summary="One condition with every statement and its sources",
            responses={404: {"description": "No such condition"}})
def condition(condition_id: Annotated[str, Path(max_length=100)]) -> Any:
    kb = get_kb()
    found = kb.conditions.get(condition_id)
    if found is None:
        raise ApiProblem(404, "no condition with this id in the knowledge base (see /api/v1/kb/conditions)")
    return {"kb_version": kb.kb_version, **found.model_dump(mode="json")}


@router.get("/rules", summary="Decision rules of the knowledge base")
def rules(policy: Annotated[str | None, Query(description="only rules that apply under this policy")] = None) -> Any:
    check_policy(policy)
    kb = get_kb()
    items = [
        r.model_dump(mode="json") for r in kb.rules if policy is None or r.policies is None or policy in r.policies
    ]
    return {"kb_version": kb.kb_version, "count": len(items), "rules": items}
