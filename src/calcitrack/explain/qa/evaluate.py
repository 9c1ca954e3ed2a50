"""Evaluation of ``answer_question`` on a YAML set of questions (``tests/explain/qa_eval.yaml`` format).

Top-1: the answer is given and its passage id or condition id is the expected one. Top-3: the expected id
is the answer's or one of the first two alternatives'. Refusal accuracy: the share of off-domain questions
refused. An in-domain question that is refused counts as a miss for top-1 and top-3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calcitrack.errors import InputError
from calcitrack.explain.qa.answer import Answer, answer_question
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


@dataclass
class EvalResult:
    total_answerable: int = 0
    top1: int = 0
    top3: int = 0
    total_refusable: int = 0
    refused: int = 0
    misses: list[tuple[EvalQuestion, Answer]] = field(default_factory=list)

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


def evaluate(eval_set: EvalSet, *, kb: KnowledgeBase | None = None) -> EvalResult:
    result = EvalResult()
    for item in eval_set.questions:
        answer = answer_question(item.q, item.lang, kb=kb)
        if item.refuse:
            result.total_refusable += 1
            if not answer.answered:
                result.refused += 1
            else:
                result.misses.append((item, answer))
            continue
        result.total_answerable += 1
        ranked = _ids(answer) if answer.answered else []
        if ranked and item.expect in ranked[0]:
            result.top1 += 1
        else:
            result.misses.append((item, answer))
        if any(item.expect in ids for ids in ranked[:3]):
            result.top3 += 1
    return result
