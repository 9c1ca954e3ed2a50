"""What a question asks, apart from what it is about: intent phrases matched in the question.

BM25 ranks by shared words, and a patient's question is mostly context ("my ultrasound says I have a
calcification in my liver") with the actual request in a few words at the end ("is it cancer?"). The
context words match whichever passage repeats them most (the follow-up answer talks about ultrasound),
so the request gets drowned. ``intents`` in faq.yaml list, per intent, short phrasings patients use
("is it cancer", "d'où vient", "how often"); every FAQ entry and condition aspect names the intents it
answers, and the retriever boosts passages whose intent the question expresses.

Phrases keep their stop words ("is it cancer", "d'où vient": the small words are the intent) and are
matched on folded, stemmed tokens, in order, with up to :data:`MAX_GAP` other words between two phrase
words ("had colon cancer" matches "had cancer"), inside one clause (clauses end at , ; : ! ? and at a
full stop). A longer phrase is a more specific match; a stop word or a bare question word counts half a
word, since "what is" says less than "cancer". A small word that ends a phrase may be left out when the
clause ends there ("est-ce lié ?" matches "lié à": the preposition is stranded).

A question often expresses several intents; :meth:`IntentMatcher.read` decides which one it asks
(see its docstring): the question's last clause with a request decides over context clauses, the
request that comes last in it decides over the earlier ones ("does it cause any symptoms?" asks about
symptoms, not causes), a narrower intent decides over a broader one (``intent_precedence``), and a
word that is part of a condition name the question uses is that topic, not a request ("how is
fibrolamellar carcinoma treated?" does not ask "is it cancer?").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from calcitrack.explain.qa.normalize import STOP_WORDS, expand_shorthand, fold, stem
from calcitrack.kb.schema import BilingualList

MAX_GAP = 2
"""Words allowed between two consecutive words of a phrase."""
FULL_STRENGTH_WEIGHT = 2.5
"""A phrase weighing this much (content words 1, stop words and question words 0.5) is a full-strength
match; lighter phrases count proportionally less."""
SMALL_WORD_WEIGHT = 0.5
TYPO_CUTOFF = 0.8
SECONDARY_FACTOR = 0.5
"""Strength factor of an intent the question expresses but does not mainly ask (see ``read``)."""
FALLBACK_STRENGTH = 0.4
"""Strength of the intent a bare question word stands for when no phrase matched ("comment se forme
...?" asks how it came about)."""
_QUESTION_WORD_LIST = "what whats how where when which who quoi comment quel quelle quels quelles ou"
QUESTION_WORDS = frozenset(stem(w) for w in _QUESTION_WORD_LIST.split(" "))
"""Bare question words: an intent match made only of these (and stop words) says nothing about a topic.
"why"/"pourquoi" are not among them: they ask for a cause whatever follows."""
_CLAUSE_END = re.compile(r"[,;:!?]|\.(?!\d)")
"""Clause boundaries; a full stop inside a number ("1.5 cm") is not one."""


def phrase_tokens(text: str) -> tuple[str, ...]:
    """Folded, stemmed tokens with the stop words kept ("D'où vient" -> ("d", "ou", "vient"))."""
    out: list[str] = []
    word = []
    for ch in expand_shorthand(fold(text)):
        if ch.isalnum():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return tuple(stem(t) for t in out)


def clauses(text: str) -> list[tuple[str, ...]]:
    """The question's clauses as phrase tokens, empty ones left out."""
    parts = (phrase_tokens(part) for part in _CLAUSE_END.split(text))
    return [part for part in parts if part]


def _ends(phrase: tuple[str, ...], sequence: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) positions of the occurrences of ``phrase`` in ``sequence`` (in order, at most MAX_GAP words
    between two of its words; a last small word may be missing at the end of the sequence)."""

    def from_position(k: int, position: int) -> int:
        if k == len(phrase):
            return position
        if position >= len(sequence) and k == len(phrase) - 1 and k > 0 and phrase[k] in _STOP_STEMS:
            return position  # "est-ce lié ?" for "lié à": one stranded small word
        end = min(len(sequence), position + MAX_GAP + 1)
        for j in range(position, end):
            if sequence[j] == phrase[k]:
                found = from_position(k + 1, j + 1)
                if found >= 0:
                    return found
        return -1

    ends = ((i, from_position(1, i + 1)) for i, token in enumerate(sequence) if token == phrase[0])
    return [(start, end) for start, end in ends if end >= 0]


@dataclass(frozen=True)
class IntentMatch:
    strength: float
    """Between 0 and 1: the heaviest phrase of the intent found, relative to FULL_STRENGTH_WEIGHT (times
    SECONDARY_FACTOR once :meth:`IntentMatcher.read` judged it secondary)."""
    covered: frozenset[str]
    """Content words of the matched phrases (neither stop words nor bare question words)."""
    clause: int = 0
    """Index of the last clause where the intent was found."""
    end: int = 0
    """Position, in that clause, where its last phrase ends."""


@dataclass(frozen=True)
class IntentRules:
    """How :meth:`IntentMatcher.read` decides between the intents of one question (faq.yaml)."""

    precedence: Sequence[tuple[str, str]] = ()
    """(narrower, broader): when both are expressed, the narrower one is asked ("a needle to analyse it"
    asks about the biopsy, not about tests in general)."""
    context_readings: Mapping[str, str] = field(default_factory=dict)
    """An intent found only in a context clause read as another one: "cancer" in "I am just out of an
    ovarian cancer, ..." tells the patient's history, it does not ask "is it cancer?"."""
    question_word_fallback: Mapping[str, str] = field(default_factory=dict)
    """Question word -> the intent it asks when no phrase matched at all."""


class IntentMatcher:
    """The intents of faq.yaml, ready to be looked for in questions."""

    def __init__(
        self,
        intents: Mapping[str, BilingualList],
        known_words: Iterable[str] = (),
        rules: IntentRules | None = None,
    ) -> None:
        self._phrases: dict[str, list[tuple[str, ...]]] = {
            name: [t for t in (phrase_tokens(p) for p in [*forms.en, *forms.fr]) if t]
            for name, forms in intents.items()
        }
        self.rules = rules or IntentRules()
        self._fallback = {stem(fold(word)): name for word, name in self.rules.question_word_fallback.items()}
        self.vocabulary = sorted({t for phrases in self._phrases.values() for p in phrases for t in p})
        self._known = set(self.vocabulary) | set(known_words)
        """Words that are not typos: the phrases' and the passages' (so "demander" is not read as a typo
        of "démangeaisons")."""

    def _spelling(self, token: str) -> str:
        if token in self._known or len(token) < 5 or token.isdigit():
            return token
        close = difflib.get_close_matches(token, self.vocabulary, n=3, cutoff=TYPO_CUTOFF)
        same_start = [c for c in close if c[0] == token[0]]  # typos rarely change the first letter
        return same_start[0] if same_start else token

    def match(self, question: str, topic_names: Iterable[frozenset[str]] = ()) -> dict[str, IntentMatch]:
        """Every intent ``question`` expresses, with its strength, content words and last position.

        ``topic_names``: the words of condition names the question uses; a phrase whose content words all
        belong to one such longer name is part of the topic ("carcinoma" in "fibrolamellar carcinoma"),
        not a request, and is ignored.
        """
        names = [name for name in topic_names if name]
        parts = [tuple(self._spelling(t) for t in part) for part in clauses(question)]
        found: dict[str, IntentMatch] = {}
        for name, phrases in self._phrases.items():
            best: IntentMatch | None = None
            covered: set[str] = set()
            for phrase in phrases:
                content = _content(phrase)
                if content and any(content < topic for topic in names):
                    continue
                for index, part in enumerate(parts):
                    # a phrase of small words only ("what are") opens a request, it does not end one:
                    # "what blood tests are done?" asks about tests, so it is placed at its start
                    ends = [end if content else start + 1 for start, end in _ends(phrase, part)]
                    if not ends:
                        continue
                    covered |= content
                    strength = min(_weight(phrase), FULL_STRENGTH_WEIGHT) / FULL_STRENGTH_WEIGHT
                    if best is None:
                        best = IntentMatch(strength, frozenset(), index, max(ends))
                    else:
                        later = (index, max(ends)) > (best.clause, best.end)
                        best = IntentMatch(
                            max(best.strength, strength),
                            frozenset(),
                            index if later else best.clause,
                            max(ends) if later else best.end,
                        )
            if best is not None:
                found[name] = replace(best, covered=frozenset(covered))
        return found

    def read(self, question: str, topic_names: Iterable[frozenset[str]] = ()) -> dict[str, IntentMatch]:
        """The intents of ``question`` with the one it mainly asks at full strength, the others weakened.

        The decisive clause is the last one expressing an intent (the request usually ends the question;
        "..., c'est la maladie ?" expresses none, so the clause before decides). An intent found only
        before it is context, weakened, or read as its ``context_readings`` intent. In the decisive
        clause, an intent with a narrower one expressed (``precedence``) steps aside, and of the rest the
        one ending last is the request ("does it cause any symptoms?", "veut dire que j'ai un cancer ?"):
        it gets the strength of the strongest intent expressed, since which intent is asked should not
        depend on how long its phrase is. The others are weakened by SECONDARY_FACTOR, except an intent
        read from the context (the patient's situation, which the answer must fit). With no phrase at
        all, a question word of ``question_word_fallback`` gives its intent at FALLBACK_STRENGTH.
        """
        found = self.match(question, topic_names)
        if not found:
            words_ = {t for part in clauses(question) for t in part}
            return {
                name: IntentMatch(FALLBACK_STRENGTH, frozenset())
                for word, name in self._fallback.items()
                if word in words_
            }
        decisive = max(m.clause for m in found.values())
        situation: set[str] = set()
        for name, m in list(found.items()):
            target = self.rules.context_readings.get(name)
            if m.clause < decisive and target:
                del found[name]
                own = found.get(target)
                found[target] = m if own is None else replace(own, strength=max(own.strength, m.strength))
                situation.add(target)
        broader = {broad for narrow, broad in self.rules.precedence if narrow in found}
        candidates = [n for n, m in found.items() if m.clause == decisive and n not in broader]
        candidates = candidates or [n for n, m in found.items() if m.clause == decisive]
        main = max(candidates, key=lambda n: (found[n].end, found[n].strength))
        strongest = max(m.strength for m in found.values())
        return {
            name: replace(m, strength=strongest)
            if name == main
            else m
            if name in situation
            else replace(m, strength=m.strength * SECONDARY_FACTOR)
            for name, m in found.items()
        }


_STOP_STEMS = frozenset(STOP_WORDS | {stem(w) for w in STOP_WORDS})


def _content(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(t for t in tokens if t not in _STOP_STEMS and t not in QUESTION_WORDS)


def _weight(phrase: tuple[str, ...]) -> float:
    return sum(SMALL_WORD_WEIGHT if t in _STOP_STEMS or t in QUESTION_WORDS else 1.0 for t in phrase)


__all__ = ["IntentMatch", "IntentMatcher", "IntentRules", "clauses", "phrase_tokens"]
