"""Language detection (en / fr) for reports that do not say their language.

A frequency count of common function words is enough for radiology prose: it is fast (one regex over
the first few kilobytes), needs no model download, and reports are long enough for the count to be
decisive. Ties and texts with no function word at all fall back to English.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from calcitrack.nlp.lexicon import LANGS, get_lexicon

_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœ]+")
SAMPLE_CHARS = 4000


@cache
def _stopwords(lang: str) -> frozenset[str]:
    return frozenset(get_lexicon(lang).stopwords)


def language_scores(text: str) -> dict[str, int]:
    """How many words of the sample are function words of each language.

    ``map`` over the set's ``__contains__`` rather than a generator: this runs on every report of an
    archive, and it halves the cost of the count.
    """
    words = _WORD.findall(text[:SAMPLE_CHARS].lower())
    return {lang: sum(map(_stopwords(lang).__contains__, words)) for lang in LANGS}


FIRST_SAMPLE_CHARS = 800
DECISIVE = 12  # function words of one language, and 4 times those of the other, settle it


def detect_language(text: str) -> Literal["en", "fr"]:
    """The more likely of English and French; accented letters break near-ties towards French.

    The first few hundred characters usually settle it (a dozen function words of one language, four times
    those of the other); only otherwise is the longer sample counted. This runs on every report of an archive.
    """
    first = language_scores(text[:FIRST_SAMPLE_CHARS])
    if first["en"] >= max(DECISIVE, 4 * first["fr"]):
        return "en"
    if first["fr"] >= max(DECISIVE, 4 * first["en"]):
        return "fr"
    scores = language_scores(text)
    if scores["fr"] > scores["en"]:
        return "fr"
    if scores["fr"] == scores["en"] and re.search(r"[éèêàç]", text[:SAMPLE_CHARS]):
        return "fr"
    return "en"


def decisive_language(text: str) -> Literal["en", "fr"] | None:
    """The language of ``text`` when the evidence is one-sided, else None.

    Used to overrule a language the caller gave: only a clear verdict may do that (at least
    :data:`DECISIVE` function words of one language and four times those of the other, over the sample).
    """
    for sample in (text[:FIRST_SAMPLE_CHARS], text):  # the first few hundred characters usually settle it
        scores = language_scores(sample)
        if scores["en"] >= max(DECISIVE, 4 * scores["fr"]):
            return "en"
        if scores["fr"] >= max(DECISIVE, 4 * scores["en"]):
            return "fr"
        if len(text) <= FIRST_SAMPLE_CHARS:
            break
    return None
