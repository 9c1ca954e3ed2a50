"""The one-line headline of an analysis (``Analysis.summary.headline``), for worklists and cards.

Example: "Further work-up: 42 mm coarse calcification in segment VI" / "Bilan complémentaire : ...".
The line itself is a KB text (``headline.line``): French puts a space before the colon.
The words come from the KB texts (action labels and the finding description the radiologist sentence
uses), so the headline reads in the report's language.
"""

from __future__ import annotations

from calcitrack.explain.phrases import finding_description
from calcitrack.explain.texts import Texts, lower_first
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Action, Lesion

_TEXTS: dict[int, tuple[KnowledgeBase, Texts]] = {}


def _texts(kb: KnowledgeBase) -> Texts:
    """One :class:`Texts` per knowledge base: compiled templates are reused across a batch of reports."""
    entry = _TEXTS.get(id(kb))
    if entry is None or entry[0] is not kb:  # the KB is kept in the entry so that its id is never reused
        entry = _TEXTS[id(kb)] = (kb, Texts(kb))
    return entry[1]


def headline(kb: KnowledgeBase, action: Action | None, lesion: Lesion | None, lang: str) -> str:
    """``"<action>: <lesion description>"``; empty when the report has no current in-scope lesion."""
    if action is None or lesion is None:
        return ""
    texts = _texts(kb)
    return texts.render(
        "headline.line", lang,
        action=texts.render(f"action.{action.value}", lang),
        description=lower_first(finding_description(texts, lesion, lang)),
    )
