"""``calcitrack.fold_characters``: EDS-NLP's accent and quote normalisation in one pass.

Why: ``eds.normalizer``'s accent and quote steps each read and rewrite the norm of every token. A window
of a report has hundreds of tokens, most of which carry neither an accent nor a curly quote, and writing a
norm is the costly part. The two translation tables (EDS-NLP's own) are disjoint, so one combined table
gives the same norms; only the norms it changes are written, and a doc whose text holds none of their
characters (typical English) is not walked at all. It declares ``token.norm``, so EDS-NLP's phrase
matchers fold their trigger terms through it exactly as they fold the text.
"""

# no ``from __future__ import annotations``: EDS-NLP validates a factory's arguments from its real type hints
from typing import Any

from edsnlp.core import registry
from edsnlp.pipes.core.normalizer.accents.patterns import accents
from edsnlp.pipes.core.normalizer.quotes.patterns import quotes_and_apostrophes


def _table(groups: Any) -> dict[int, Any]:
    return str.maketrans("".join(g for g, _ in groups), "".join(rep * len(g) for g, rep in groups))


class FoldCharacters:
    """Accents and curly quotes folded in ``Token.norm_`` (see the module docstring)."""

    def __init__(self, nlp: Any | None = None, name: str = "calcitrack.fold_characters") -> None:
        first, second = _table(accents), _table(quotes_and_apostrophes)
        if set(first) & set(second):
            raise ValueError("accent and quote tables overlap: one pass would not equal two")
        self.name = name
        self.table: dict[int, Any] = {**first, **second}
        self.characters = frozenset(chr(code) for code in self.table)

    def __call__(self, doc: Any) -> Any:
        if self.characters.isdisjoint(doc.text.lower()):
            return doc
        table = self.table
        for token in doc:
            norm = token.norm_
            folded = norm.translate(table)
            if folded != norm:
                token.norm_ = folded
        return doc


create_component = registry.factory.register("calcitrack.fold_characters", assigns=["token.norm"])(FoldCharacters)

