"""The prefilter: skip reports that contain no lexicon stem, before any tokenisation.

Only a few percent of an archive mention a calcification (4.6 % of MTSamples), so a substring scan of
the lower-cased text saves the tokeniser and the qualifiers on everything else. The stems are the
lexicon's own (``stems:``) so the prefilter can never be narrower than the target vocabulary.
"""

from __future__ import annotations

from functools import cache

from calcitrack.nlp.lexicon import get_lexicon


@cache
def _stems(lang: str) -> tuple[str, ...]:
    return tuple(sorted(set(get_lexicon(lang).stems)))


@cache
def _pairs(lang: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return tuple((tuple(p.stems), tuple(p.with_)) for p in get_lexicon(lang).paired_stems)


def may_mention_target(text: str, lang: str) -> bool:
    """True when ``text`` contains at least one stem of the language's lexicon (case-insensitive), or a
    paired stem together with one of its partners ("CBD" with "stone").

    Plain substring tests on the lower-cased text: about five times faster than one regex alternation.
    """
    lowered = text.lower()
    if any(stem in lowered for stem in _stems(lang)):
        return True
    return any(
        any(stem in lowered for stem in stems) and any(word in lowered for word in partners)
        for stems, partners in _pairs(lang)
    )
