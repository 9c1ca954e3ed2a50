"""Schema and loader of ``kb/data/faq.yaml``: general questions that are not tied to one condition.

Validated with pydantic like the rest of the KB, and cross-checked against the loaded KB (every source id
must exist in ``sources.yaml``, every condition id in ``conditions.yaml``) so an answer never cites a
source a reader cannot look up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calcitrack.kb import KBError, KnowledgeBase
from calcitrack.kb.loader import read_yaml
from calcitrack.kb.schema import Bilingual, BilingualList

FAQ_FILE = "faq.yaml"


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^faq\.[a-z0-9_]+$")
    condition: str | None = None
    questions: BilingualList
    answer: Bilingual
    sources: list[str] = Field(min_length=1)
    asks: list[str] = Field(default_factory=list)
    """Names of ``intents`` this entry answers (what the patient wants to know, not what it is about)."""


class FaqFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faq: list[FaqEntry] = Field(min_length=1)
    lexicon: list[list[str]] = Field(default_factory=list)
    domain_terms: list[str] = Field(min_length=1)
    organ_terms: list[str] = Field(default_factory=list)
    organ_terms_fr: list[str] = Field(default_factory=list)
    finding_terms: list[str] = Field(default_factory=list)
    domain_exclude: list[str] = Field(default_factory=list)
    generic_name_words: list[str] = Field(default_factory=list)
    topic_terms: list[str] = Field(default_factory=list)
    intents: dict[str, BilingualList] = Field(default_factory=dict)
    """What a question asks ("is it cancer?", "d'où vient ...?"), as short patient phrasings per language."""
    aspect_intents: dict[str, list[str]] = Field(default_factory=dict)
    """The intents each condition aspect answers (``danger`` answers "dangerous")."""
    foreign_terms: list[str] = Field(default_factory=list)
    """Organs and body parts calcitrack does not cover (breast, lung, thyroid, bones, ...)."""
    gallbladder_terms: list[str] = Field(default_factory=list)
    """Words naming the gallbladder or its stones: plain gallstones are not a calcification finding."""
    stone_terms: list[str] = Field(default_factory=list)
    """Words naming a stone, in or outside the ducts."""
    off_topic_terms: list[str] = Field(default_factory=list)
    """Topics calcitrack does not cover though they use its words (calcium in food, supplements, bone
    health): refused like a foreign organ."""
    intent_precedence: list[tuple[str, str]] = Field(default_factory=list)
    """(narrower, broader) intent pairs: when a question expresses both, it asks the narrower one."""
    context_readings: dict[str, str] = Field(default_factory=dict)
    """An intent found only in a context clause, read as another ("cancer" there is the history)."""
    intent_connectors: list[str] = Field(default_factory=list)
    """Intent phrases that link a request to its cause ("because of", "lié à"): another intent of the
    clause before one is the request."""
    question_word_fallback: dict[str, str] = Field(default_factory=dict)
    """Question word -> intent asked when no intent phrase matched ("comment se forme ...?": causes)."""
    about_answers: list[str] = Field(default_factory=list)
    """Intents a condition's "about" passage answers when the question names that condition and none of
    its passages answers the request ("angiome du foie, faut-il s'inquiéter ?")."""
    calcium_words: list[str] = Field(default_factory=list)
    """The generic calcification words of ``domain_terms``: not enough when the question names a foreign
    organ ("calcifications in my breast")."""


def load_faq(directory: Path) -> FaqFile:
    """Parse and validate ``faq.yaml`` in ``directory``; errors name the file and the entry."""
    data = read_yaml(directory / FAQ_FILE)
    try:
        faq = FaqFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(part) for part in first["loc"])
        raise KBError(f"{FAQ_FILE}: {where}: {first['msg']}") from exc
    seen: set[str] = set()
    for entry in faq.faq:
        if entry.id in seen:
            raise KBError(f"{FAQ_FILE}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        for name in entry.asks:
            if name not in faq.intents:
                raise KBError(f"{FAQ_FILE}: {entry.id} asks {name!r}, which is not in intents")
    for aspect, names in faq.aspect_intents.items():
        for name in names:
            if name not in faq.intents:
                raise KBError(f"{FAQ_FILE}: aspect_intents > {aspect}: {name!r} is not in intents")
    rules = [
        *(("intent_precedence", name) for pair in faq.intent_precedence for name in pair),
        *(("context_readings", name) for pair in faq.context_readings.items() for name in pair),
        *(("question_word_fallback", name) for name in faq.question_word_fallback.values()),
        *(("about_answers", name) for name in faq.about_answers),
    ]
    for field_name, name in rules:
        if name not in faq.intents:
            raise KBError(f"{FAQ_FILE}: {field_name}: {name!r} is not in intents")
    return faq


def check_faq(faq: FaqFile, kb: KnowledgeBase) -> list[str]:
    """Problems of ``faq`` against ``kb`` (unknown sources or conditions), one line each; empty if none."""
    problems: list[str] = []
    for entry in faq.faq:
        for source_id in entry.sources:
            if source_id not in kb.sources:
                problems.append(f"{FAQ_FILE}: {entry.id} cites source {source_id!r}, which is not in sources.yaml")
        if entry.condition and entry.condition not in kb.conditions:
            problems.append(f"{FAQ_FILE}: {entry.id} names unknown condition {entry.condition!r}")
    return problems
