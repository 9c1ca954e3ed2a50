"""The passages questions are answered from: one per KB condition and aspect, plus the FAQ entries.

A condition passage answers one kind of question about one condition ("is a hydatid cyst dangerous?" ->
``hydatid_cyst.danger`` = its red flags). Its retrieval text is the condition's names in both languages
inside the aspect's question words (``qa.aspect.*`` texts, editable) plus the statements themselves; its
answer is the statements in the reader's language with their sources. Aspects without statements in the
KB get no passage, so the retriever never returns an empty answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from calcitrack.explain.qa.faq import FaqFile
from calcitrack.explain.texts import Texts
from calcitrack.kb.schema import Condition, Statement

ASPECTS: tuple[str, ...] = ("about", "danger", "causes", "tests", "treatment", "followup")


@dataclass(frozen=True)
class Passage:
    id: str
    condition_id: str | None
    title: dict[str, str]
    answer: dict[str, str]
    sources: tuple[str, ...]
    questions: str
    """Question-side text (both languages): weighted above the answer text when indexing."""
    variants: tuple[str, ...] = ()
    """The English question variants of a FAQ entry (empty for condition passages)."""
    intents: tuple[str, ...] = ()
    """The intents of faq.yaml this passage answers (see ``intents.py``)."""

    def answer_in(self, lang: str) -> str:
        return self.answer.get(lang) or self.answer["en"]

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


def _statements(condition: Condition, aspect: str) -> list[Statement]:
    if aspect == "about":
        return [s for s in (condition.patient_summary, condition.summary) if s is not None]
    if aspect == "danger":
        return list(condition.red_flags)
    if aspect == "causes":
        return list(condition.epidemiology)
    if aspect == "tests":
        return list(condition.workup)
    return list(condition.management)  # treatment and followup both live in management statements


def condition_passages(texts: Texts, aspect_intents: Mapping[str, Sequence[str]] | None = None) -> list[Passage]:
    aspect_intents = aspect_intents or {}
    passages: list[Passage] = []
    for condition in texts.kb.conditions.values():
        for aspect in ASPECTS:
            statements = _statements(condition, aspect)
            if not statements:
                continue
            questions = " ".join(
                texts.render(f"qa.aspect.{aspect}", lang, name=name)
                for lang in ("en", "fr")
                for name in condition.names.get(lang)
            )
            passages.append(
                Passage(
                    id=f"{condition.id}.{aspect}",
                    condition_id=condition.id,
                    title={
                        lang: texts.render(f"qa.title.{aspect}", lang, name=condition.name(lang))
                        for lang in ("en", "fr")
                    },
                    answer={lang: " ".join(s.get(lang).strip() for s in statements) for lang in ("en", "fr")},
                    sources=tuple(dict.fromkeys(src for s in statements for src in s.sources)),
                    questions=questions,
                    intents=tuple(aspect_intents.get(aspect, ())),
                )
            )
    return passages


def faq_passages(faq: FaqFile) -> list[Passage]:
    return [
        Passage(
            id=entry.id,
            condition_id=entry.condition,
            title={"en": entry.questions.en[0], "fr": entry.questions.fr[0]},
            answer={"en": " ".join(entry.answer.en.split()), "fr": " ".join(entry.answer.fr.split())},
            sources=tuple(entry.sources),
            questions=" ".join([*entry.questions.en, *entry.questions.fr]),
            variants=tuple(entry.questions.en),
            intents=tuple(entry.asks),
        )
        for entry in faq.faq
    ]
