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
