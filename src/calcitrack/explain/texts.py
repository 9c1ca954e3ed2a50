"""Wording comes from the KB text files, rendered as Jinja2 templates.

Every user-facing sentence of the explanation layer is a key of ``texts.<lang>.yaml`` so that a clinician
edits wording without touching Python. Templates run in a sandbox with ``StrictUndefined``: a typo in a
variable name fails loudly in tests instead of printing an empty hole in a patient letter.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from calcitrack.kb import KnowledgeBase

_SPACES = re.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.])")
_VOWEL_SOUND = re.compile(r"^(?:[aeio]|u(?![nrs]i|ni|ro|se))", re.IGNORECASE)


_MASS_NOUN = re.compile(r"(?:osis|iasis|itis|ation|ans|[^sui]s)$", re.IGNORECASE)


def indefinite(noun: str) -> str:
    """English indefinite article ("a granuloma", "an abscess"); none for a disease or process name
    ("hepatolithiasis", "splenic calcification", "calcinosis") or a plural. Grammar, not wording."""
    if not noun or _MASS_NOUN.search(noun):
        return noun
    return f"an {noun}" if _VOWEL_SOUND.match(noun) else f"a {noun}"


def capitalise(text: str) -> str:
    """Upper-case the first letter only (``str.capitalize`` would lower-case "MRI" and "VII")."""
    return text[:1].upper() + text[1:] if text else text


def lower_first(text: str) -> str:
    """Lower-case a leading capital unless the word is an acronym ("Ultrasound" -> "ultrasound", "MRI" kept)."""
    if len(text) >= 2 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def tidy(text: str) -> str:
    """Collapse the spaces left by empty template parts ("4 mm  calcification" -> "4 mm calcification")."""
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


class Texts:
    """The KB texts of one knowledge base, with template rendering and a cache of compiled templates."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._env.filters["indefinite"] = indefinite
        self._env.filters["lower_first"] = lower_first
        self._env.filters["capfirst"] = capitalise
        self._compiled: dict[tuple[str, str], Template] = {}

    @property
    def environment(self) -> SandboxedEnvironment:
        """The sandboxed Jinja2 environment (with calcitrack's filters) the texts are rendered in."""
        return self._env

    def has(self, key: str, lang: str) -> bool:
        return key in self.kb.texts.get(lang, {})

    def raw(self, key: str, lang: str) -> str:
        """The unrendered text (a missing key raises the KB's own error naming file and key)."""
        return self.kb.text(key, lang)

    def render(self, key: str, lang: str, **values: Any) -> str:
        """Render text ``key`` in ``lang`` with ``values``; whitespace is tidied, first letter kept as written."""
        template = self._compiled.get((key, lang))
        if template is None:
            template = self._env.from_string(self.raw(key, lang))
            self._compiled[(key, lang)] = template
        return tidy(template.render(**values))

    def sources_of(self, key: str, lang: str) -> list[str]:
        """Source ids attached to a text key by its ``<key>.cites`` companion (space separated), if any.

        Only the explanation keys (``sentence.``, ``summary.``, ``letter.``, ``qa.``) have companions;
        the companion holds source ids of sources.yaml.
        """
        if not key.startswith(("sentence.", "summary.", "letter.", "qa.")):
            return []
        companion = f"{key}.cites"
        if not self.has(companion, lang):
            return []
        return self.raw(companion, lang).split()
