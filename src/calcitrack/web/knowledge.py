"""Knowledge pages (conditions, rules, sources) and the Q&A box, in English or French.

Why open to everyone: like ``/api/v1/kb`` and ``/api/v1/ask`` they show published content only. The
question is posted (not in the URL, so not in access logs) and is neither stored nor logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response

from calcitrack.explain import answer_question
from calcitrack.kb import get_kb
from calcitrack.web import security
from calcitrack.web.page import Page, csrf_failure, get_page, redirect, render

router = APIRouter()


@router.get("/knowledge")
def knowledge_home(page: Annotated[Page, Depends(get_page)]) -> Response:
    return render(page, "knowledge.html", kb=get_kb(), answer=None, question="", ask_lang=page.lang)


@router.get("/knowledge/ask")
def ask_page(page: Annotated[Page, Depends(get_page)]) -> Response:
    """The answer page re-opened by GET (the language switch links to ``?lang=``): back to the Q&A box."""
    return redirect(page, "/ui/knowledge")


@router.post("/knowledge/ask")
def ask(
    page: Annotated[Page, Depends(get_page)],
    question: Annotated[str, Form(min_length=1, max_length=1000)],
    answer_lang: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not security.check_csrf(page.session, csrf):
        return csrf_failure(page)
    chosen = answer_lang if answer_lang in ("en", "fr") else None
    answer = answer_question(question, chosen)
    return render(page, "knowledge.html", kb=get_kb(), answer=answer, question=question,
                  ask_lang=answer_lang or "")


@router.get("/knowledge/conditions/{condition_id}")
def condition(page: Annotated[Page, Depends(get_page)],
              condition_id: Annotated[str, Path(max_length=100)]) -> Response:
    kb = get_kb()
    item = kb.conditions.get(condition_id)
    if item is None:
        return render(page, "error.html", status_code=404, message=page.t("error.not_found"))
    return render(page, "condition.html", kb=kb, c=item)


@router.get("/knowledge/rules")
def rules(page: Annotated[Page, Depends(get_page)]) -> Response:
    return render(page, "rules.html", kb=get_kb(), describe=describe_test)


@router.get("/knowledge/sources")
def sources(page: Annotated[Page, Depends(get_page)]) -> Response:
    return render(page, "sources.html", kb=get_kb())


OPS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def describe_test(test: object, lang: str) -> str:
    """A rule condition as a short readable formula: ``organ = liver and (size_mm ≤ 10 or ...)``."""
    if hasattr(test, "any"):
        return "(" + (" or " if lang == "en" else " ou ").join(describe_test(t, lang) for t in test.any) + ")"
    if hasattr(test, "all"):
        return "(" + (" and " if lang == "en" else " et ").join(describe_test(t, lang) for t in test.all) + ")"
    field = str(getattr(test, "field", "")).split(".", 1)[-1]
    op = str(getattr(test, "op", ""))
    value = getattr(test, "value", None)
    if op in OPS:
        return f"{field} {OPS[op]} {value}"
    return f"{field} {op.replace('_', ' ')}" + (f" {value}" if value is not None else "")
