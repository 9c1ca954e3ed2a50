"""``answer_question``: a question in, the best KB passage (or a polite refusal) out.

A question is answered only when it passes two independent checks: it names something in calcitrack's
domain (a word of ``domain_terms``), and the best passage scores at least :data:`MIN_SCORE`. Either check
alone lets unrelated passages through ("what is the capital of France" shares "what is" with every
definition; "liver" alone matches a lot), so a question outside the domain gets ``answered: false`` and a
pointer to a clinician, never the least-bad passage.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from calcitrack.explain.qa.faq import load_faq
from calcitrack.explain.qa.normalize import detect_lang
from calcitrack.explain.qa.passages import condition_passages, faq_passages
from calcitrack.explain.qa.retrieval import Retriever
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase, get_kb

MIN_SCORE = 2.0
"""Lowest ranking score of an answer (BM25 times the naming and intent factors of the retriever).

Calibrated on tests/data/qa/natural_dev.yaml: the lowest top score of an in-domain question there is
4.65 (8.2 on tests/explain/qa_eval.yaml), so 2.0 keeps a margin. The off-domain questions' best scores,
scope ignored, range from 0 to 34: a score threshold cannot refuse them alone, the scope check does."""
ALTERNATIVES = 3


class Alternative(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: str
    condition_id: str | None
    title: str
    score: float


class Answer(BaseModel):
    """The JSON contract of ``calcitrack ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str
    lang: str
    answered: bool
    answer: str
    condition_id: str | None = None
    passage_id: str | None = None
    sources: list[str] = Field(default_factory=list)
    score: float = 0.0
    alternatives: list[Alternative] = Field(default_factory=list)


_RETRIEVERS: dict[int, tuple[KnowledgeBase, Retriever]] = {}


def retriever_for(kb: KnowledgeBase) -> Retriever:
    """The retriever of ``kb``, built once per KB object (the KB is immutable)."""
    cached = _RETRIEVERS.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    faq = load_faq(kb.directory)
    retriever = Retriever(
        [*faq_passages(faq), *condition_passages(Texts(kb), faq.aspect_intents)],
        faq,
        {c.id: [*c.names.en, *c.names.fr] for c in kb.conditions.values()},
    )
    _RETRIEVERS[id(kb)] = (kb, retriever)
    return retriever


def answer_question(question: str, lang: str | None = None, *, kb: KnowledgeBase | None = None) -> Answer:
    """Answer ``question`` from the KB in ``lang`` (detected from the question when None)."""
    kb = kb or get_kb()
    texts = Texts(kb)
    chosen = lang if lang in ("en", "fr") else detect_lang(question)
    retriever = retriever_for(kb)
    scope = retriever.scope(question, detect_lang(question))
    hits = retriever.search(question, k=1 + ALTERNATIVES, general_only=scope == "finding")
    top_score = hits[0].score if hits else 0.0
    if scope is None or not hits or top_score < MIN_SCORE:
        return Answer(
            question=question,
            lang=chosen,
            answered=False,
            answer=texts.render("qa.refusal", chosen),
            score=round(top_score, 3),
        )
    best = hits[0]
    return Answer(
        question=question,
        lang=chosen,
        answered=True,
        answer=best.passage.answer_in(chosen),
        condition_id=best.passage.condition_id,
        passage_id=best.passage.id,
        sources=list(best.passage.sources),
        score=round(best.score, 3),
        alternatives=[
            Alternative(
                passage_id=hit.passage.id,
                condition_id=hit.passage.condition_id,
                title=hit.passage.title_in(chosen),
                score=round(hit.score, 3),
            )
            for hit in hits[1:]
        ],
    )
