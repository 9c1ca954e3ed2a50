"""``POST /api/v1/ask``: a question about calcifications answered from the knowledge base, or refused.

Open like the KB: the answer comes from published content only. The question is neither stored nor
logged (a user may type something personal into it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from calcitrack.api.limits import require_json
from calcitrack.api.settings import API_PREFIX
from calcitrack.models import Lang

router = APIRouter(prefix=API_PREFIX, tags=["knowledge base"], dependencies=[Depends(require_json)])


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=1000)
    lang: Lang | None = Field(default=None, description="en or fr; detected from the question when omitted")


@router.post(
    "/ask",
    summary="Answer a question from the knowledge base (or refuse politely)",
    description="Returns calcitrack.explain's Answer: question, lang, answered, answer, condition_id, "
    "passage_id, sources, score, alternatives.",
)
def ask(body: Question) -> Any:
    # Imported here: the Q&A index is built on first use, and the rest of the API must not depend on it.
    from calcitrack.explain import answer_question

    return answer_question(body.question, body.lang).model_dump(mode="json")
