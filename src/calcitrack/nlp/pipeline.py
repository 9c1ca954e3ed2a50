"""EDS-NLP pipelines, one per language, built once per process and cached.

The pipeline does tokenisation, normalisation, sentence splitting and the three qualifiers
(``eds.negation``, ``eds.hypothesis``, ``eds.history``). Target spans come from the lexicon
(:mod:`calcitrack.nlp.targets`) and are placed in ``doc.spans["calcitrack"]`` before the qualifiers run,
so the qualifiers are configured with ``span_getter="calcitrack"``.

English pitfall: EDS-NLP conjugates the qualifiers' verb lists from a French table, and an *empty* verb
list means "all French verbs" ("a", "date", "trace" then negate English text). The English qualifiers
below override ``load_verbs`` so that the English lists (already conjugated in ``lexicon.en.yaml``) are
used as they are and the French table is never consulted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import edsnlp
import edsnlp.pipes.qualifiers.base as qualifier_base
from edsnlp.pipes.qualifiers.history.history import HistoryQualifier
from edsnlp.pipes.qualifiers.history.patterns import history as fr_history_terms
from edsnlp.pipes.qualifiers.hypothesis import patterns as fr_hyp
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
from edsnlp.pipes.qualifiers.negation import patterns as fr_neg
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier
from edsnlp.pipes.terminations import termination as fr_termination

from calcitrack.nlp.lexicon import Lexicon, get_lexicon

SPAN_KEY = "calcitrack"


class EnglishNegationQualifier(NegationQualifier):  # type: ignore[misc]
    """``eds.negation`` whose verbs are an explicit English list, never EDS-NLP's French verb table."""

    english_verbs: tuple[list[str], list[str]] = ([], [])

    def load_verbs(self, verbs: list[str]) -> tuple[list[str], list[str]]:
        return list(self.english_verbs[0]), list(self.english_verbs[1])


class EnglishHypothesisQualifier(HypothesisQualifier):  # type: ignore[misc]
    """``eds.hypothesis`` with English verbs, for the same reason as :class:`EnglishNegationQualifier`."""

    english_verbs: tuple[list[str], list[str]] = ([], [])

    def load_verbs(self, verbs_hyp: list[str], verbs_eds: list[str]) -> tuple[list[str], list[str]]:
        return list(self.english_verbs[0]), list(self.english_verbs[1])


@dataclass(frozen=True)
class Pipeline:
    """The steps of one language, held separately so targets can be inserted between them."""

    lang: str
    nlp: Any
    early: tuple[Any, ...]
    qualifiers: tuple[Any, ...]

    def prepare(self, text: str) -> Any:
        """Tokenise, normalise and split sentences."""
        doc = self.nlp.make_doc(text)
        for pipe in self.early:
            doc = pipe(doc)
        return doc

    def qualify(self, doc: Any) -> Any:
        """Run negation, hypothesis and history on the spans of ``doc.spans[SPAN_KEY]``."""
        for pipe in self.qualifiers:
            doc = pipe(doc)
        return doc


def _english_qualifiers(nlp: Any, lex: Lexicon) -> tuple[Any, ...]:
    neg, hyp, hist = lex.negation, lex.hypothesis, lex.history
    if not neg.verbs_preceding:
        raise ValueError("lexicon.en.yaml: negation.verbs_preceding must not be empty (EDS-NLP would use French verbs)")

    class _Neg(EnglishNegationQualifier):
        english_verbs = (neg.verbs_preceding, neg.verbs_following)

    class _Hyp(EnglishHypothesisQualifier):
        english_verbs = (hyp.verbs_preceding, hyp.verbs_following)

    negation = _Neg(
        nlp, "negation", pseudo=[*neg.pseudo, *lex.absent_before.phrases()], preceding=neg.preceding,
        preceding_regex=[], following=neg.following, verbs=neg.verbs_preceding, termination=neg.termination,
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    hypothesis = _Hyp(
        nlp, "hypothesis", pseudo=hyp.pseudo, preceding=hyp.preceding, following=hyp.following,
        verbs_eds=hyp.verbs_preceding, verbs_hyp=hyp.verbs_following, termination=hyp.termination,
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    history = HistoryQualifier(
        nlp, "history", history=hist.history, termination=hist.termination, span_getter=SPAN_KEY, on_ents_only=True,
    )
    return negation, hypothesis, history


def _french_qualifiers(nlp: Any, lex: Lexicon) -> tuple[Any, ...]:
    neg, hyp, hist = lex.negation, lex.hypothesis, lex.history
    negation = NegationQualifier(
        nlp, "negation",
        # a lexicon trigger wins over an EDS-NLP default pseudo-trigger of the same words ("pas d'autre")
        pseudo=[*(t for t in fr_neg.pseudo if t not in neg.preceding), *neg.pseudo, *lex.absent_before.phrases()],
        preceding=[*fr_neg.preceding, *neg.preceding],
        # a bare "non" after the entity negates the word it precedes ("calcifiée non rehaussée"), not the
        # entity; EDS-NLP's list has it for form answers (": non"), which stay
        following=[*(t for t in fr_neg.following if t != "non"), *neg.following],
        termination=[*fr_termination, *neg.termination],
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    hypothesis = HypothesisQualifier(
        nlp, "hypothesis",
        pseudo=[*fr_hyp.pseudo, *hyp.pseudo],
        # "discret/discrète" is a hedge in clinical notes but a size in radiology ("discrète calcification
        # coronaire" is a slight, certain calcification): dropped from EDS-NLP's list
        preceding=[*(t for t in fr_hyp.preceding if not t.startswith("discr")), *hyp.preceding],
        following=[*fr_hyp.following, *hyp.following],
        termination=[*fr_termination, *hyp.termination],
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    history = HistoryQualifier(
        nlp, "history", history=[*fr_history_terms, *hist.history], termination=[*fr_termination, *hist.termination],
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    return negation, hypothesis, history


@contextmanager
def _space_tolerant_matchers() -> Iterator[None]:
    """Build qualifiers whose phrase matchers skip whitespace tokens ("negative   for" is "negative for").

    Reports and transcriptions often carry runs of spaces; the normaliser already tags them ``SPACE``,
    but EDS-NLP's qualifiers build their ``EDSPhraseMatcher`` without ``ignore_space_tokens``. The
    constructor keyword is set for the duration of the build only.
    """
    original = qualifier_base.EDSPhraseMatcher
    qualifier_base.EDSPhraseMatcher = partial(original, ignore_space_tokens=True)
    try:
        yield
    finally:
        qualifier_base.EDSPhraseMatcher = original


@cache
def get_pipeline(lang: str) -> Pipeline:
    """Build (once) the EDS-NLP pipeline of ``lang``: normaliser, sentences, then the qualifiers."""
    lex = get_lexicon(lang)
    nlp = edsnlp.blank("eds" if lang == "fr" else "en")
    # pollution tagging targets EHR boilerplate (page footers, menus) that imaging reports do not carry,
    # and it is the most expensive part of the normaliser
    nlp.add_pipe("eds.normalizer", config={"pollution": False})
    nlp.add_pipe("eds.sentences")
    early = tuple(pipe for _, pipe in nlp.pipeline)
    with _space_tolerant_matchers():
        qualifiers = _french_qualifiers(nlp, lex) if lang == "fr" else _english_qualifiers(nlp, lex)
    return Pipeline(lang=lang, nlp=nlp, early=early, qualifiers=qualifiers)
