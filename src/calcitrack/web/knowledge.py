"""Knowledge pages (conditions, rules, sources) and the Q&A box, in English or French.

Why open to everyone: like ``/api/v1/kb`` and ``/api/v1/ask`` they show published content only. The
question is posted (not in the URL, so not in access logs) and is neither stored nor logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response

from calcitrack.explain import answer_question
from calcitrack.explain.sources import display_id, display_short, source_lang, strength_key
from calcitrack.explain.texts import Texts
from calcitrack.kb import get_kb
from calcitrack.web import security
from calcitrack.web.page import Page, csrf_failure, get_page, redirect, render

router = APIRouter()


@router.get("/knowledge")
def knowledge_home(page: Annotated[Page, Depends(get_page)]) -> Response:
    return render(page, "knowledge.html", kb=get_kb(), answer=None, question="", ask_lang=page.lang,
                  **SOURCE_HELPERS)


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
                  ask_lang=answer_lang or "", **SOURCE_HELPERS)


@router.get("/knowledge/conditions/{condition_id}")
def condition(page: Annotated[Page, Depends(get_page)],
              condition_id: Annotated[str, Path(max_length=100)]) -> Response:
    kb = get_kb()
    item = kb.conditions.get(condition_id)
    if item is None:
        return render(page, "error.html", status_code=404, message=page.t("error.not_found"))
    return render(page, "condition.html", kb=kb, c=item, **SOURCE_HELPERS)


@router.get("/knowledge/rules")
def rules(page: Annotated[Page, Depends(get_page)]) -> Response:
    """The decision table, every field, operator and value in the page's words (web/values.py)."""
    return render(page, "rules.html", kb=get_kb(), **SOURCE_HELPERS)


@router.get("/knowledge/sources")
def sources(page: Annotated[Page, Depends(get_page)]) -> Response:
    """Every source with its reference label (never a seed file name) and its evidence strength."""
    kb = get_kb()
    texts = Texts(kb)
    rows = [
        {"label": display_id(s.id), "short": display_short(s), "title": s.title, "year": s.year, "url": s.url,
         "grade": s.grade, "lang": source_lang(s), "strength": texts.render(strength_key(s.grade), page.lang)}
        for s in kb.sources.values()
    ]
    return render(page, "sources.html", kb=kb, sources=rows)


SOURCE_HELPERS: dict[str, Any] = {"source_label": display_id, "short": display_short, "source_lang": source_lang}
"""What templates need to cite a source the way every reader sees it (:mod:`calcitrack.explain.sources`)."""
