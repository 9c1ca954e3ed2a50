"""EDS-NLP pipelines, one per language, built once per process and cached.

The pipeline does tokenisation, normalisation, sentence splitting and the three qualifiers
(``eds.negation``, ``eds.hypothesis``, ``eds.history``). Target spans come from the lexicon
(:mod:`calcitrack.nlp.targets`) and are placed in ``doc.spans["calcitrack"]`` before the qualifiers run,
so the qualifiers are configured with ``span_getter="calcitrack"``.

English pitfall: EDS-NLP conjugates the qualifiers' verb lists from a French table, and an *empty* verb
list means "all French verbs" ("a", "date", "trace" then negate English text). The English qualifiers
below take their verbs as configuration (already conjugated in ``lexicon.en.yaml``) and never consult the
French table.

Every qualifier here is a module-level class configured by its constructor arguments: no module global
is patched while building, the build is thread-safe, and a pipeline survives ``pickle`` (Spark, process
pools) with the same behaviour, because the phrase matcher pickles as itself
(:class:`SpaceTolerantPhraseMatcher`), not as spaCy's plain ``PhraseMatcher``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import edsnlp
from edsnlp.matchers.phrase import EDSPhraseMatcher
from edsnlp.pipes.qualifiers.base import RuleBasedQualifier
from edsnlp.pipes.qualifiers.history.history import HistoryQualifier
from edsnlp.pipes.qualifiers.history.patterns import history as fr_history_terms
from edsnlp.pipes.qualifiers.hypothesis import patterns as fr_hyp
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
from edsnlp.pipes.qualifiers.negation import patterns as fr_neg
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier
from edsnlp.pipes.terminations import termination as fr_termination

from calcitrack.nlp.lexicon import Lexicon, get_lexicon
from calcitrack.nlp.sentences import add_token_splitter

SPAN_KEY = "calcitrack"


class SpaceTolerantPhraseMatcher(EDSPhraseMatcher):  # type: ignore[misc]
    """``EDSPhraseMatcher`` that skips whitespace tokens ("negative   for" is "negative for") and pickles as
    itself: spaCy's ``PhraseMatcher.__reduce__`` rebuilds a plain ``PhraseMatcher``, which would drop both
    the excluded-token and the space skipping after a round trip."""

    def __init__(self, vocab: Any, attr: int | str = "ORTH") -> None:
        super().__init__(vocab, attr, True, True)

    @classmethod
    def like(cls, matcher: Any) -> SpaceTolerantPhraseMatcher:
        """A space-tolerant matcher with ``matcher``'s patterns (already tokenised: nothing is rebuilt)."""
        vocab, docs, callbacks, attr = matcher.__reduce__()[1]
        return _rebuild_matcher(vocab, attr, docs, callbacks)

    def __reduce__(self) -> tuple[Any, ...]:
        vocab, docs, callbacks, attr = super().__reduce__()[1]
        return _rebuild_matcher, (vocab, attr, docs, callbacks)


def _rebuild_matcher(
    vocab: Any, attr: int | str, docs: dict[Any, Any], callbacks: dict[Any, Any]
) -> SpaceTolerantPhraseMatcher:
    matcher = SpaceTolerantPhraseMatcher(vocab, attr)
    for key, patterns in docs.items():
        matcher.add(key, list(patterns), on_match=callbacks.get(key))
    return matcher


class SpaceTolerantQualifier(RuleBasedQualifier):  # type: ignore[misc]
    """A rule-based qualifier whose phrase matcher skips whitespace tokens.

    Reports and transcriptions often carry runs of spaces; the normaliser tags them ``SPACE``, but EDS-NLP's
    qualifiers build their matcher without ``ignore_space_tokens``. Placed between an EDS-NLP qualifier and
    ``RuleBasedQualifier`` in the class hierarchy, it swaps the matcher once the patterns are built.
    """

    def __init__(self, nlp: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(nlp, name, **kwargs)
        built: Any = getattr(self, "phrase_matcher")  # noqa: B009 (set by the untyped EDS-NLP base class)
        self.phrase_matcher = SpaceTolerantPhraseMatcher.like(built)


class EnglishNegationQualifier(NegationQualifier, SpaceTolerantQualifier):  # type: ignore[misc]
    """``eds.negation`` with English verbs (``verbs_preceding`` / ``verbs_following``), never EDS-NLP's French
    verb table, and space-tolerant matching."""

    def __init__(
        self, nlp: Any, name: str = "negation", *, verbs_preceding: list[str], verbs_following: list[str],
        pseudo: list[str], preceding: list[str], following: list[str], termination: list[str],
        span_getter: Any = None, on_ents_only: Any = True,
    ) -> None:
        # explicit keywords, no **kwargs: EDS-NLP's component metaclass binds the constructor's signature
        if not verbs_preceding:
            raise ValueError("lexicon.en.yaml: negation.verbs_preceding must not be empty "
                             "(EDS-NLP would use French verbs)")
        self.english_verbs = (list(verbs_preceding), list(verbs_following))
        super().__init__(
            nlp, name, pseudo=pseudo, preceding=preceding, preceding_regex=[], following=following,
            verbs=list(verbs_preceding), termination=termination, span_getter=span_getter, on_ents_only=on_ents_only,
        )

    def load_verbs(self, verbs: list[str]) -> tuple[list[str], list[str]]:
        return list(self.english_verbs[0]), list(self.english_verbs[1])


class EnglishHypothesisQualifier(HypothesisQualifier, SpaceTolerantQualifier):  # type: ignore[misc]
    """``eds.hypothesis`` with English verbs, for the same reason as :class:`EnglishNegationQualifier`."""

    def __init__(
        self, nlp: Any, name: str = "hypothesis", *, verbs_preceding: list[str], verbs_following: list[str],
        pseudo: list[str], preceding: list[str], following: list[str], termination: list[str],
        span_getter: Any = None, on_ents_only: Any = True,
    ) -> None:
        self.english_verbs = (list(verbs_preceding), list(verbs_following))
        super().__init__(
            nlp, name, pseudo=pseudo, preceding=preceding, following=following, verbs_eds=list(verbs_preceding),
            verbs_hyp=list(verbs_following), termination=termination, span_getter=span_getter,
            on_ents_only=on_ents_only,
        )

    def load_verbs(self, verbs_hyp: list[str], verbs_eds: list[str]) -> tuple[list[str], list[str]]:
        return list(self.english_verbs[0]), list(self.english_verbs[1])


class FrenchNegationQualifier(NegationQualifier, SpaceTolerantQualifier):  # type: ignore[misc]
    """``eds.negation`` (French verbs from EDS-NLP's table) with space-tolerant matching."""


class FrenchHypothesisQualifier(HypothesisQualifier, SpaceTolerantQualifier):  # type: ignore[misc]
    """``eds.hypothesis`` with space-tolerant matching."""


class CalcitrackHistoryQualifier(HistoryQualifier, SpaceTolerantQualifier):  # type: ignore[misc]
    """``eds.history`` with space-tolerant matching (both languages)."""


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
    negation = EnglishNegationQualifier(
        nlp, "negation", pseudo=[*neg.pseudo, *lex.absent_before.phrases()], preceding=neg.preceding,
        following=neg.following, verbs_preceding=neg.verbs_preceding,
        verbs_following=neg.verbs_following, termination=neg.termination, span_getter=SPAN_KEY, on_ents_only=True,
    )
    hypothesis = EnglishHypothesisQualifier(
        nlp, "hypothesis", pseudo=hyp.pseudo, preceding=hyp.preceding, following=hyp.following,
        verbs_preceding=hyp.verbs_preceding, verbs_following=hyp.verbs_following, termination=hyp.termination,
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    history = CalcitrackHistoryQualifier(
        nlp, "history", history=hist.history, termination=hist.termination, span_getter=SPAN_KEY, on_ents_only=True,
    )
    return negation, hypothesis, history


def _french_qualifiers(nlp: Any, lex: Lexicon) -> tuple[Any, ...]:
    neg, hyp, hist = lex.negation, lex.hypothesis, lex.history
    negation = FrenchNegationQualifier(
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
    hypothesis = FrenchHypothesisQualifier(
        nlp, "hypothesis",
        pseudo=[*fr_hyp.pseudo, *hyp.pseudo],
        # "discret/discrète" is a hedge in clinical notes but a size in radiology ("discrète calcification
        # coronaire" is a slight, certain calcification): dropped from EDS-NLP's list
        preceding=[*(t for t in fr_hyp.preceding if not t.startswith("discr")), *hyp.preceding],
        following=[*fr_hyp.following, *hyp.following],
        termination=[*fr_termination, *hyp.termination],
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    history = CalcitrackHistoryQualifier(
        nlp, "history", history=[*fr_history_terms, *hist.history], termination=[*fr_termination, *hist.termination],
        span_getter=SPAN_KEY, on_ents_only=True,
    )
    return negation, hypothesis, history


def _normaliser(nlp: Any) -> None:
    """``eds.normalizer`` (lower case, spaces), its accent and quote steps done by :mod:`calcitrack.nlp.normalise`.

    Pollution tagging targets EHR boilerplate (page footers, menus) that imaging reports do not carry, and
    it is the most expensive part of the normaliser.
    """
    import calcitrack.nlp.normalise  # noqa: F401  (registers the factory)

    nlp.add_pipe("eds.normalizer", config={"pollution": False, "accents": False, "quotes": False})
    nlp.add_pipe("calcitrack.fold_characters")


@cache
def get_pipeline(lang: str) -> Pipeline:
    """Build (once) the EDS-NLP pipeline of ``lang``: normaliser, sentences, then the qualifiers."""
    lex = get_lexicon(lang)
    nlp = edsnlp.blank("eds" if lang == "fr" else "en")
    _normaliser(nlp)
    add_token_splitter(nlp)
    early = tuple(pipe for _, pipe in nlp.pipeline)
    qualifiers = _french_qualifiers(nlp, lex) if lang == "fr" else _english_qualifiers(nlp, lex)
    return Pipeline(lang=lang, nlp=nlp, early=early, qualifiers=qualifiers)
