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
clause ends there ("est-ce lié ?" matches "lié à": the preposition is stranded). ``...`` in a phrase
stands for any number of words of the clause, so a question word and its predicate frame a request
however long the topic between them ("how ... end up", "d'où ... sort", "still ... there"). A word that
is part of a heavier phrase of another intent found around it belongs to that phrase ("normal" in "in
normal words" asks for plain words, not whether it is normal). Unknown words one typing slip away from
a phrase word are read as it ("dangerus").

A question often expresses several intents; :meth:`IntentMatcher.read` decides which one it asks
(see its docstring): the question's last clause with a request decides over context clauses, the
request that comes last in it decides over the earlier ones ("does it cause any symptoms?" asks about
symptoms, not causes), a narrower intent decides over a broader one (``intent_precedence``), and a
word that is part of a condition name the question uses is that topic, not a request ("how is
fibrolamellar carcinoma treated?" does not ask "is it cancer?"). A bare question word and a connector
("à cause de", "lié à") yield to a request in words of the same clause; a situation told in context
("colon cancer survivor here, ...") is narrower than the broader request asked after it; and an opinion
request that no passage answers ("que faut-il en penser ?") lets the strongest other intent decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from calcitrack.explain.qa.normalize import STOP_WORDS, expand_shorthand, fold, one_edit_apart, stem
from calcitrack.kb.schema import BilingualList

MAX_GAP = 2
"""Words allowed between two consecutive words of a phrase."""
FULL_STRENGTH_WEIGHT = 2.5
"""A phrase weighing this much (content words 1, stop words and question words 0.5) is a full-strength
match; lighter phrases count proportionally less."""
SMALL_WORD_WEIGHT = 0.5
TYPO_MIN_LENGTH = 5
"""Shorter words are too easily another word when one letter changes."""
SECONDARY_FACTOR = 0.5
"""Strength factor of an intent the question expresses but does not mainly ask (see ``read``)."""
MAIN_STRENGTH = 0.6
"""Least strength of the request a question asks in words: "should that scare me?" asks about danger as
surely as "is it dangerous?", though its phrase is one word."""
FALLBACK_STRENGTH = 0.4
"""Strength of the intent a bare question word stands for when no phrase matched ("comment se forme
...?" asks how it came about)."""
_QUESTION_WORD_LIST = "what whats how where when which who quoi comment quel quelle quels quelles ou"
QUESTION_WORDS = frozenset(stem(w) for w in _QUESTION_WORD_LIST.split(" "))
"""Bare question words: an intent match made only of these (and stop words) says nothing about a topic.
"why"/"pourquoi" are not among them: they ask for a cause whatever follows."""
_CLAUSE_END = re.compile(r"[,;:!?]|\.(?!\d)")
"""Clause boundaries; a full stop inside a number ("1.5 cm") is not one."""
ANY_GAP = "..."
"""In an intent phrase, any number of words of the same clause ("how ... end up", "d'où ... sort"): a
question word and its predicate frame the request however long the topic between them is ("how on earth
does calcium end up in a liver?")."""
_ANY = "*"
"""The token ANY_GAP stands for in a phrase's tokens."""


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


def pattern_tokens(text: str) -> tuple[str, ...]:
    """The tokens of an intent phrase, each ANY_GAP kept as a wildcard token between two words."""
    parts = [phrase_tokens(part) for part in text.replace("\u2026", ANY_GAP).split(ANY_GAP)]
    out: list[str] = []
    for part in parts:
        if part:
            out += [_ANY, *part] if out else list(part)
    return tuple(out)


def clauses(text: str) -> list[tuple[str, ...]]:
    """The question's clauses as phrase tokens, empty ones left out."""
    parts = (phrase_tokens(part) for part in _CLAUSE_END.split(text))
    return [part for part in parts if part]


_PARENTHESES = re.compile(r"\([^()]*\)")
_QUESTION_MARK_WORDS = frozenset(
    stem(w)
    for w in [
        *("what", "whats", "how", "why", "where", "when", "which", "who", "is", "are", "can", "could"),
        *("should", "do", "does", "will", "would", "quoi", "comment", "pourquoi", "quel", "quelle", "quels"),
        *("quelles", "quand", "combien", "est", "faut", "peut", "dois"),
    ]
)
"""Words that open a question even without a question mark ("can I still drink wine", "est-ce que")."""
_OPENERS = frozenset(stem(w) for w in ["and", "also", "so", "but", "then", "et", "ou", "alors", "mais", "puis", "donc"])
"""Linking words that may come before a clause's question word ("and how often ...")."""


def asides(text: str) -> frozenset[int]:
    """Indexes (as in :func:`clauses`) of the clauses that comment on the question rather than ask it.

    A clause inside parentheses is an aside ("Is it serious? (also, can I still drink wine)"), and so is
    a clause after the question's last question mark that has no question word: the patient's feelings
    or a plea told after the question ("cancer ou pas ?? rep svp jsuis stressée").
    """
    inside = [(m.start(), m.end()) for m in _PARENTHESES.finditer(text)]
    last_mark = text.rfind("?")
    out: set[int] = set()
    index = 0
    position = 0
    for part in _CLAUSE_END.split(text):
        start = text.find(part, position) if part else position
        position = start + len(part)
        tokens_ = phrase_tokens(part)
        if not tokens_:
            continue
        middle = start + len(part) // 2
        in_parentheses = any(lo <= middle < hi for lo, hi in inside)
        if in_parentheses or (0 <= last_mark < start and not _opens_question(tokens_)):
            out.add(index)
        index += 1
    return frozenset(out)


def _opens_question(tokens_: tuple[str, ...]) -> bool:
    """Whether a clause starts with a question word, after any linking words."""
    first = next((t for t in tokens_ if t not in _OPENERS), "")
    return first in _QUESTION_MARK_WORDS


def _ends(phrase: tuple[str, ...], sequence: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) positions of the occurrences of ``phrase`` in ``sequence`` (in order, at most MAX_GAP words
    between two of its words, any number after a wildcard; a last small word may be missing at the end of
    the sequence)."""

    strandable = bool(_content(phrase))  # "what is it for" must not match "what is it"

    def from_position(k: int, position: int, gap: int = MAX_GAP) -> int:
        if k == len(phrase):
            return position
        if phrase[k] == _ANY:
            return from_position(k + 1, position, len(sequence))
        if position >= len(sequence) and k == len(phrase) - 1 and strandable and phrase[k] in _STOP_STEMS:
            return position  # "est-ce lié ?" for "lié à": one stranded small word
        end = min(len(sequence), position + gap + 1)
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
    connector: bool = False
    """Whether the phrase found last is a connector (``IntentRules.connectors``)."""


@dataclass(frozen=True)
class _Occurrence:
    """One place where a phrase of an intent was found."""

    name: str
    clause: int
    start: int
    end: int
    weight: float
    content: frozenset[str]
    connector: bool = False

    def inside(self, other: _Occurrence) -> bool:
        """Whether this is part of a heavier phrase of another intent found around the same words."""
        return (
            other.name != self.name
            and other.clause == self.clause
            and other.start <= self.start
            and self.end <= other.end
            and other.weight > self.weight
            and bool(self.content)
            and self.content <= other.content
        )


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
    connectors: Sequence[str] = ()
    """Phrases that link the request to its cause ("because of", "à cause de", "lié à"): when another
    intent of the same clause comes before one, that intent is the request it attaches to ("va-t-on me
    faire une ponction à cause de la calcification ?" asks about the biopsy)."""
    open_requests: frozenset[str] = frozenset()
    """Intents that ask for an opinion without saying on what ("what should I make of it?", "qu'en
    penser ?"): no passage answers them, so when one is the request, the strongest other intent the
    question expresses (its situation, its worry) decides instead."""


class IntentMatcher:
    """The intents of faq.yaml, ready to be looked for in questions."""

    def __init__(
        self,
        intents: Mapping[str, BilingualList],
        known_words: Iterable[str] = (),
        rules: IntentRules | None = None,
    ) -> None:
        self._phrases: dict[str, list[tuple[str, ...]]] = {
            name: [t for t in (pattern_tokens(p) for p in [*forms.en, *forms.fr]) if t]
            for name, forms in intents.items()
        }
        self.rules = rules or IntentRules()
        self._connectors = {pattern_tokens(p) for p in self.rules.connectors}
        self._fallback = {stem(fold(word)): name for word, name in self.rules.question_word_fallback.items()}
        self.vocabulary = sorted({t for phrases in self._phrases.values() for p in phrases for t in p} - {_ANY})
        self._known = set(self.vocabulary) | set(known_words)
        """Words that are not typos: the phrases' and the passages' (so "demander" is not read as a typo
        of "démangeaisons")."""

    def _spelling(self, token: str) -> str:
        """A word unknown to the phrases and the passages, read as the phrase word one typing slip away
        ("dangerus"); only for words of at least TYPO_MIN_LENGTH letters, keeping the first letter (typos
        rarely change it), and only when the slip points to one phrase word. A real word two slips from
        a phrase word ("comprends" / "compare") is left alone."""
        if token in self._known or len(token) < TYPO_MIN_LENGTH or token.isdigit():
            return token
        close = [w for w in self.vocabulary if w[0] == token[0] and one_edit_apart(token, w)]
        return close[0] if len(close) == 1 else token

    def match(self, question: str, topic_names: Iterable[frozenset[str]] = ()) -> dict[str, IntentMatch]:
        """Every intent ``question`` expresses, with its strength, content words and last position.

        ``topic_names``: the words of condition names the question uses; a phrase whose content words all
        belong to one such longer name is part of the topic ("carcinoma" in "fibrolamellar carcinoma"),
        not a request, and is ignored.
        """
        names = [name for name in topic_names if name]
        parts = [tuple(self._spelling(t) for t in part) for part in clauses(question)]
        found_at: list[_Occurrence] = []
        for name, phrases in self._phrases.items():
            for phrase in phrases:
                content = _content(phrase)
                if content and any(content < topic for topic in names):
                    continue
                weight = _weight(phrase)
                for index, part in enumerate(parts):
                    for start, end in _ends(phrase, part):
                        found_at.append(
                            _Occurrence(name, index, start, end, weight, content, phrase in self._connectors)
                        )
        # a word inside a longer phrase of another intent belongs to that phrase: "normal" in "in normal
        # words" asks for plain words, it does not ask whether the finding is normal
        kept = [o for o in found_at if not any(o.inside(other) for other in found_at)]
        found: dict[str, IntentMatch] = {}
        for o in kept:
            strength = min(o.weight, FULL_STRENGTH_WEIGHT) / FULL_STRENGTH_WEIGHT
            # a phrase of small words only ("what are") opens a request, it does not end one: "what blood
            # tests are done?" asks about tests, so it is placed at its start
            position = o.end if o.content else o.start + 1
            best = found.get(o.name)
            if best is None:
                found[o.name] = IntentMatch(strength, o.content, o.clause, position, o.connector)
                continue
            later = (o.clause, position) > (best.clause, best.end)
            found[o.name] = IntentMatch(
                max(best.strength, strength),
                best.covered | o.content,
                o.clause if later else best.clause,
                position if later else best.end,
                o.connector if later else best.connector,
            )
        return found

    def read(self, question: str, topic_names: Iterable[frozenset[str]] = ()) -> dict[str, IntentMatch]:
        """The intents of ``question`` with the one it mainly asks at full strength, the others weakened.

        The decisive clause is the last one expressing an intent (the request usually ends the question;
        "..., c'est la maladie ?" expresses none, so the clause before decides). An intent found only
        before it is context, weakened, or read as its ``context_readings`` intent. In the decisive
        clause, an intent with a narrower one expressed (``precedence``) steps aside, and of the rest the
        one ending last is the request ("does it cause any symptoms?", "veut dire que j'ai un cancer ?"):
        it gets the strength of the strongest intent expressed, since which intent is asked should not
        depend on how long its phrase is, and at least MAIN_STRENGTH when it is said in words and no
        condition is named (``topic_names``). Requests said in words come before a bare question word,
        and other requests before a connector ("une ponction à cause de la calcification ?" asks about
        the biopsy); a connector alone in its clause links to the strongest intent told before ("j'ai
        mal au ventre, il y a un lien ?"). A situation intent (a ``context_readings`` target) told in an
        earlier clause is asked instead of its broader intent ("breast cancer 3 years ago, ... could it
        be cancer?"), and an open request (``open_requests``) gives way to the strongest other intent
        said in words. The others are weakened by SECONDARY_FACTOR, except the patient's situation told
        in context, which the answer must fit. With no phrase at all, a question word of
        ``question_word_fallback`` gives its intent at FALLBACK_STRENGTH.
        """
        topic_names = [name for name in topic_names if name]
        found = self.match(question, topic_names)
        if not found:
            words_ = {t for part in clauses(question) for t in part}
            return {
                name: IntentMatch(FALLBACK_STRENGTH, frozenset())
                for word, name in self._fallback.items()
                if word in words_
            }
        # the last clause with a request decides, unless it only comments on the question (an aside in
        # parentheses, feelings told after the question mark) and a clause before it asks something
        aside = asides(question)
        asking = [m.clause for m in found.values() if m.clause not in aside]
        decisive = max(asking or [m.clause for m in found.values()])
        situations = set(self.rules.context_readings.values())
        # the patient's situation told in context ("colon cancer survivor here, ...") keeps its strength
        situation = {name for name, m in found.items() if name in situations and m.clause < decisive}
        for name, m in list(found.items()):
            target = self.rules.context_readings.get(name)
            if m.clause < decisive and target:
                del found[name]
                own = found.get(target)
                found[target] = m if own is None else replace(own, strength=max(own.strength, m.strength))
                situation.add(target)
        # a narrower intent decides over a broader one of the same clause; told in an earlier clause, it
        # does not silence the request ("I feel tired. Could it be what is causing this?" still asks
        # about a cause, which the connector rule below links to the complaint told before)
        broader = {
            broad for narrow, broad in self.rules.precedence if narrow in found and found[narrow].clause == decisive
        }
        candidates = [n for n, m in found.items() if m.clause == decisive and n not in broader]
        candidates = candidates or [n for n, m in found.items() if m.clause == decisive]
        # a bare question word ("... the only way to know what it is?") yields to a request in words, and a
        # connector to the request it links ("... s'abîmer à cause de ces calcifications ?")
        candidates = [n for n in candidates if found[n].covered] or candidates
        candidates = [n for n in candidates if not found[n].connector] or candidates
        main = max(candidates, key=lambda n: (found[n].end, found[n].strength))
        # a situation told in context is narrower than its broader request asked later ("breast cancer
        # three years ago, ... could it be cancer?" asks whether the old cancer is back)
        told = [
            narrow
            for narrow, broad in self.rules.precedence
            if broad == main and narrow in situations and narrow in found and found[narrow].clause < decisive
        ]
        if told:
            main = told[0]
        # a connector alone in its clause links the finding to what the patient told before ("j'ai mal au
        # ventre depuis, il y a un lien ?"): the strongest intent of the earlier clauses is the request
        told_before = [n for n, m in found.items() if m.clause < decisive and n not in self.rules.open_requests]
        if found[main].connector and main not in told and told_before:
            main = max(told_before, key=lambda n: (found[n].strength, found[n].clause, found[n].end))
        answerable = [n for n in found if n not in self.rules.open_requests]
        answerable = [n for n in answerable if found[n].covered] or answerable  # words before question words
        if main in self.rules.open_requests and answerable:
            # "..., que faut-il en penser ?": the strongest intent of the question is what it is about
            main = max(answerable, key=lambda n: (found[n].strength, found[n].clause, found[n].end))
        # a request said in words is asked for sure, unless a condition named by its name already says
        # what the question is about (then BM25 knows the topic and the phrase's own weight is kept)
        floor = MAIN_STRENGTH if found[main].covered and not topic_names else 0.0
        strongest = max(max(m.strength for m in found.values()), floor)
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
    return frozenset(t for t in tokens if t not in _STOP_STEMS and t not in QUESTION_WORDS and t != _ANY)


def _weight(phrase: tuple[str, ...]) -> float:
    return sum(
        0.0 if t == _ANY else SMALL_WORD_WEIGHT if t in _STOP_STEMS or t in QUESTION_WORDS else 1.0 for t in phrase
    )


__all__ = [
    "ANY_GAP", "IntentMatch", "IntentMatcher", "IntentRules", "asides", "clauses", "pattern_tokens", "phrase_tokens",
]
