"""Evaluation of ``answer_question`` on a YAML set of questions (``tests/explain/qa_eval.yaml`` format).

Top-1: the answer is given and its passage id or condition id is the expected one, or one the set file
lists as ``equivalent`` to it (``top1_strict`` counts the expected id only). Top-3: the expected id
is the answer's or one of the first two alternatives'. Refusal accuracy: the share of off-domain questions
refused. An in-domain question that is refused counts as a miss for top-1 and top-3. The same figures are
kept per language (the item's ``lang``, else the detected one), because a retriever that serves English
well can still fail French readers, and a single mixed figure hides that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calcitrack.errors import InputError
from calcitrack.explain.qa.answer import Answer, answer_question
from calcitrack.explain.qa.normalize import detect_lang
from calcitrack.kb import KBError, KnowledgeBase
from calcitrack.kb.loader import read_yaml


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1)
    lang: str | None = None
    expect: str | None = None
    refuse: bool = False

    @model_validator(mode="after")
    def _one_expectation(self) -> EvalQuestion:
        if self.refuse == (self.expect is not None):
            raise ValueError("give either 'expect: <id>' or 'refuse: true'")
        return self


class EvalSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[EvalQuestion] = Field(min_length=1)
    equivalent: list[list[str]] = Field(default_factory=list)
    """Groups of passage ids that give the same answer (an FAQ entry and the condition passage built from
    the same patient sentences): a question expecting one of them is also answered by the others. Listed
    in the set file, so a reader sees exactly which answers count as the same; ``top1_strict`` ignores
    them."""

    def accepted(self, expect: str) -> set[str]:
        """``expect`` and the ids listed as equivalent to it."""
        return {expect}.union(*(group for group in self.equivalent if expect in group))


@dataclass
class EvalResult:
    total_answerable: int = 0
    top1: int = 0
    top1_strict: int = 0
    """Top-1 counting only the expected id itself, not the set's ``equivalent`` ids."""
    top3: int = 0
    total_refusable: int = 0
    refused: int = 0
    misses: list[tuple[EvalQuestion, Answer]] = field(default_factory=list)
    by_lang: dict[str, EvalResult] = field(default_factory=dict)
    """The same counts restricted to the questions of one language ("en", "fr")."""

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.total_answerable if self.total_answerable else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.total_answerable if self.total_answerable else 0.0

    @property
    def refusal_accuracy(self) -> float:
        return self.refused / self.total_refusable if self.total_refusable else 0.0


def load_eval_set(path: Path) -> EvalSet:
    try:
        data = read_yaml(path)
    except KBError as exc:
        raise InputError(str(exc)) from exc
    try:
        return EvalSet.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(part) for part in first["loc"])
        raise InputError(f"{path.name}: {where}: {first['msg']}") from exc


def _ids(answer: Answer) -> list[set[str | None]]:
    ranked = [{answer.passage_id, answer.condition_id}]
    ranked += [{alt.passage_id, alt.condition_id} for alt in answer.alternatives]
    return ranked


def _score(result: EvalResult, item: EvalQuestion, answer: Answer, accepted: set[str]) -> None:
    if item.refuse:
        result.total_refusable += 1
        if not answer.answered:
            result.refused += 1
        else:
            result.misses.append((item, answer))
        return
    result.total_answerable += 1
    ranked = _ids(answer) if answer.answered else []
    if ranked and item.expect in ranked[0]:
        result.top1_strict += 1
    if ranked and accepted & ranked[0]:
        result.top1 += 1
    else:
        result.misses.append((item, answer))
    if any(accepted & ids for ids in ranked[:3]):
        result.top3 += 1


def evaluate(eval_set: EvalSet, *, kb: KnowledgeBase | None = None) -> EvalResult:
    result = EvalResult()
    for item in eval_set.questions:
        answer = answer_question(item.q, item.lang, kb=kb)
        accepted = eval_set.accepted(item.expect) if item.expect else set()
        _score(result, item, answer, accepted)
        lang = item.lang if item.lang in ("en", "fr") else detect_lang(item.q)
        _score(result.by_lang.setdefault(lang, EvalResult()), item, answer, accepted)
    return result
