"""``calcitrack.list_items``: a numbered line starts a sentence in the token pipeline, as ``BOUNDARY`` says.

Why: ``eds.sentences`` does not split before a line that opens with a number ("\n2. 6 mm calcified
granuloma"), so the negation of one impression item ("1. … no sonographic explanation for the symptoms.")
reached the finding of the next.
"""

# no ``from __future__ import annotations``: EDS-NLP validates a factory's arguments from its real type hints
import re
from typing import Any

from edsnlp.core import registry

LIST_ITEMS = "calcitrack.list_items"
_LIST_NUMBER = re.compile(r"\n[ \t]*(\d{1,2}[.)])[ \t]")


class ListItemStarts:
    """Marks the number token of each numbered line as a sentence start."""

    def __init__(self, nlp: Any | None = None, name: str = LIST_ITEMS) -> None:
        self.name = name

    def __call__(self, doc: Any) -> Any:
        for m in _LIST_NUMBER.finditer(doc.text):
            span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if span is not None and span.start > 0:
                doc[span.start].is_sent_start = True
        return doc


create_component = registry.factory.register(LIST_ITEMS, assigns=["token.is_sent_start"])(ListItemStarts)
