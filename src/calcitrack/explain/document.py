"""One document model for every audience, rendered to text, Markdown, HTML or JSON.

Audiences decide *what* is said (sections of items, each item tied to the text key or KB statement it
came from and to its sources); the renderers decide only *how it is laid out*. Keeping the origin of every
item is what lets tests prove that each sentence of a patient letter is traceable to the KB.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from calcitrack.explain.sources import display_id, display_short, for_patient, source_lang
from calcitrack.kb import KnowledgeBase

Format = Literal["text", "html", "markdown", "json"]
FORMATS: tuple[str, ...] = ("text", "html", "markdown", "json")
TEMPLATE_DIR = Path(__file__).parent / "templates"


class Item(BaseModel):
    """One sentence or bullet, with where its wording came from and what supports it."""

    model_config = ConfigDict(extra="forbid")

    text: str
    origin: str = Field(description="'text:<key>', 'condition:<id>.<field>', 'kb:<kind>:<id>' or 'report'")
    sources: list[str] = Field(default_factory=list)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    heading: str
    items: list[Item] = Field(default_factory=list)
    style: Literal["paragraph", "bullets", "numbered"] = "paragraph"


class SourceRef(BaseModel):
    """A cited source as the reader sees it: ``label`` is what inline citations print (a seed file name is
    never shown), ``strength`` names its evidence strength (clinician and radiologist documents)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str = ""
    short: str
    title: str
    url: str | None = None
    grade: str | None = None
    strength: str | None = None
    lang: str = "en"


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: str
    lang: str
    title: str
    sections: list[Section] = Field(default_factory=list)
    sources_heading: str = "Sources"
    sources: list[SourceRef] = Field(default_factory=list)
    cite_inline: bool = True

    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def label(self, source_id: str) -> str:
        """What an inline citation of ``source_id`` prints (the listed source's label, else the id's)."""
        for ref in self.sources:
            if ref.id == source_id:
                return ref.label or ref.id
        return display_id(source_id)


def source_refs(
    kb: KnowledgeBase,
    sections: list[Section],
    *,
    strength: Callable[[str], str] | None = None,
    patient: bool = False,
) -> list[SourceRef]:
    """The sources the sections' items cite, in first-cited order.

    For a patient (``patient=True``) only guideline and peer-reviewed sources are listed
    (:data:`calcitrack.explain.sources.PATIENT_GRADES`). Otherwise every source is listed, ids missing from
    the KB bare (never dropped), each with ``strength(grade)`` when given.
    """
    ids = [source_id for section in sections for item in section.items for source_id in item.sources]
    refs: list[SourceRef] = []
    for source_id in dict.fromkeys(ids):
        source = kb.sources.get(source_id)
        if patient and not for_patient(kb, source_id):
            continue
        if source is None:
            refs.append(SourceRef(id=source_id, label=display_id(source_id), short=display_id(source_id),
                                  title=display_id(source_id)))
            continue
        refs.append(
            SourceRef(
                id=source.id,
                label=display_id(source.id),
                short=display_short(source),
                title=source.title,
                url=source.url,
                grade=source.grade,
                strength=strength(source.grade) if strength is not None else None,
                lang=source_lang(source),
            )
        )
    return refs


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template(name: str) -> Template:
    return _environment().get_template(name)


def render(document: Document, fmt: str) -> str:
    """Lay ``document`` out in ``fmt`` (text, markdown, html or json)."""
    if fmt == "json":
        return json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    names = {"text": "document.text.j2", "markdown": "document.md.j2", "html": "document.html.j2"}
    if fmt not in names:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _template(names[fmt]).render(doc=document)
