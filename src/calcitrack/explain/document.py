"""One document model for every audience, rendered to text, Markdown, HTML or JSON.

Audiences decide *what* is said (sections of items, each item tied to the text key or KB statement it
came from and to its sources); the renderers decide only *how it is laid out*. Keeping the origin of every
item is what lets tests prove that each sentence of a patient letter is traceable to the KB.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(extra="forbid")

    id: str
    short: str
    title: str
    url: str | None = None


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


def source_refs(kb: KnowledgeBase, sections: list[Section]) -> list[SourceRef]:
    """The sources the sections' items cite, in first-cited order; ids missing from the KB are shown bare,
    never dropped."""
    ids = [source_id for section in sections for item in section.items for source_id in item.sources]
    refs: list[SourceRef] = []
    for source_id in dict.fromkeys(ids):
        source = kb.sources.get(source_id)
        if source is None:
            refs.append(SourceRef(id=source_id, short=source_id, title=source_id))
        else:
            refs.append(SourceRef(id=source.id, short=source.short, title=source.title, url=source.url))
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
