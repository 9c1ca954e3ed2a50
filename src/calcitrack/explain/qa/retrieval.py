"""Ranked lexical retrieval (BM25, via ``bm25s``) over the passages of both languages.

Each passage is indexed once with its question-side text counted twice and its answer text in both
languages, so a French question finds a passage through its French words and an English one through its
English words. Questions are expanded with the FAQ lexicon (a lay word or a translation also searches
the term the passages use: "taches" also searches "calcification"); the question's own words count
double, so an exact word still wins. Typos are mended against the index vocabulary, and condition
passages the question does not name are down-weighted, so general questions reach the general answers.
Finally, a passage whose intent the question expresses ("is it cancer?", see ``intents.py``) is boosted:
BM25 says what the question is about, the intent says what it asks. Words a negation rules out ("I never
had hepatitis") neither search nor name a condition; a name word the lexicon reads as a common word
("hepatic" is "liver") does not name one either. The one passage answering the intent asked keeps its
rank whatever the question names, and when the question names no condition, the general FAQ entries
answering its request come first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np

from calcitrack.explain.qa.faq import FaqFile
from calcitrack.explain.qa.intents import QUESTION_WORDS, IntentMatch, IntentMatcher, IntentRules
from calcitrack.explain.qa.normalize import STEM_LENGTH, fold, long_forms, negated, stem, tokens, words
from calcitrack.explain.qa.passages import Passage

QUESTION_WEIGHT = 2
ORIGINAL_WEIGHT = 2
_PRONOUN = re.compile(r"\b(?:it|this|that|they|ca|cela|ce|elle|il|elles|ils|la|le|l)\b")
"""A question about "it" refers to the finding being explained."""
_DEICTIC = re.compile(r"\b(?:it|this|that|these|those|they|ca|cela|ceci)\b")
"""Words pointing at the finding itself ("is it really calcium?"), articles left out."""
_LOCATION = re.compile(
    r"\b(?:in|inside|within|on|dans|sur)\s+(?:(?:my|the|his|her|your|their|both|a|an|le|la|les|l'|l|mon|ma|mes|son|"
    r"sa|ses|right|left|upper|lower|droit|droite|gauche|deux)\s+){0,3}([a-z]+)"
)
"""A place: a preposition of place, then at most three determiners or sides, then the organ word."""
_DENIED = re.compile(r"\b(?:not|non|pas|no|never|jamais|sans|without)\s+(?:[a-z]+\s+)?([a-z]+)")
"""A word a negation denies ("not calcified", "pas calcifiés"), the negation's next word or the one after."""
TYPO_CUTOFF = 0.8
"""difflib similarity above which an unknown question word is read as a typo of a known word."""
UNNAMED_CONDITION_FACTOR = 0.5
"""Score factor of a condition passage when the question names no word of that condition's names.

Condition passages all share the aspect question words ("how often should ... be checked?"); without
this, a general question ("how often should a liver calcification be checked?") goes to whichever
condition has the shortest text instead of to the general answer."""
FAQ_PRIOR = 1.2
"""Score factor of FAQ entries over condition passages: they are written for patients, and when both
answer ("what is a calcified granuloma?") the patient-worded answer should come first."""
INTENT_WORD_REPEAT = 1
"""How many times a word of a matched intent phrase counts in the BM25 query (others count twice)."""
INTENT_WEIGHT = 3.0
"""A passage answering the question's intent scores up to (1 + INTENT_WEIGHT) times its BM25 score."""
GENERAL_BONUS = 1.5
"""Score factor of a general FAQ entry answering the request of a question that names no condition."""
COMMON_NAME_SHARE = 0.15
"""A name word found in more than this share of all passages ("calcification", "liver", "foie") does not
count as naming a condition."""


Scope = Literal["domain", "finding"] | None


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class Retriever:
    """BM25 over passages, with lexicon expansion and a domain vocabulary for refusals."""

    def __init__(
        self,
        passages: Sequence[Passage],
        faq: FaqFile,
        condition_names_by_id: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        condition_names_by_id = condition_names_by_id or {}
        if not passages:
            raise ValueError("no passages to index")
        self.passages = list(passages)
        self._canonical: dict[str, set[str]] = {}
        for group in faq.lexicon:
            if not group:
                continue
            canonical = tokens(group[0])
            for term in group[1:]:
                for token in tokens(term):
                    self._canonical.setdefault(token, set()).update(c for c in canonical if c != token)
        excluded = {stem(w) for term in faq.domain_exclude for w in words(term)}
        names = [name for cnames in condition_names_by_id.values() for name in cnames]
        self.domain = {stem(w) for term in faq.domain_terms for w in words(term)} | {
            token for name in names for token in tokens(name) if len(token) >= 3 and token not in excluded
        }
        self._full_names_by_id = {
            cid: [set(tokens(name)) for name in cnames if tokens(name)] for cid, cnames in condition_names_by_id.items()
        }
        self.topics = {stem(w) for term in faq.topic_terms for w in words(term)}
        self.organs = {stem(w) for term in faq.organ_terms for w in words(term)}
        self.organs_fr = {stem(w) for term in faq.organ_terms_fr for w in words(term)}
        self.findings = {stem(w) for term in faq.finding_terms for w in words(term)}
        self.foreign = {stem(w) for term in faq.foreign_terms for w in words(term)}
        self.off_topic = {stem(w) for term in faq.off_topic_terms for w in words(term)}
        """Topics calcitrack does not answer though they use its words (dietary calcium, supplements)."""
        self.calcium = {stem(w) for term in faq.calcium_words for w in words(term)}
        self.gallbladder = {stem(w) for term in faq.gallbladder_terms for w in words(term)}
        self.stones = {stem(w) for term in faq.stone_terms for w in words(term)}
        self.mineral = {stem(w) for w in ("calcium", "calcique", "calcaire")}
        """Words naming the mineral, not a finding: alone, they do not make a question calcitrack's."""
        corpus = [
            (tokens(p.questions) + long_forms(p.questions)) * QUESTION_WEIGHT
            + tokens(" ".join(p.answer.values()))
            + long_forms(" ".join(p.answer.values()))
            for p in self.passages
        ]
        self.vocabulary = {token for doc in corpus for token in doc} | self.domain
        self._sorted_vocabulary = sorted(self.vocabulary)
        name_tokens = {
            cid: {t for name in cnames for t in tokens(name)} for cid, cnames in condition_names_by_id.items()
        }
        for toks in name_tokens.values():  # "splenic" in a name is named by "spleen" in a question
            toks |= {canonical for t in list(toks) for canonical in self._canonical.get(t, ())}
        document_frequency: dict[str, int] = {}
        for doc in corpus:
            for token in set(doc):
                document_frequency[token] = document_frequency.get(token, 0) + 1
        limit = COMMON_NAME_SHARE * len(corpus)
        generic = {stem(w) for term in faq.generic_name_words for w in words(term)}

        def common(token: str) -> bool:
            """Found in too many passages, itself or through the word the lexicon reads it as ("hepatic"
            is "liver", which every other passage uses)."""
            forms = {token} | self._canonical.get(token, set())
            return any(document_frequency.get(form, 0) > limit for form in forms)

        self._name_tokens = {
            cid: {t for t in toks if not common(t) and t not in generic} for cid, toks in name_tokens.items()
        }
        distinctive = set().union(*self._name_tokens.values()) if self._name_tokens else set()
        self.general = {
            p.id
            for p in self.passages
            if p.variants and 2 * sum(bool(set(tokens(v)) & distinctive) for v in p.variants) < len(p.variants)
        }
        """FAQ entries about calcifications in general: most of their questions name no condition."""

        def names_own_condition(passage: Passage, variant: str) -> bool:
            asked = self._with_canonical(set(tokens(variant)))
            return passage.condition_id in self.named_by_full_name(asked)

        self._about_condition = {
            p.id
            for p in self.passages
            if p.variants
            and p.condition_id
            and 2 * sum(names_own_condition(p, v) for v in p.variants) >= len(p.variants)
        }
        """FAQ entries about their condition: at least half of their questions name it by a whole name."""
        self._stands_for: dict[str, str] = {}
        """Per condition, the passage answering for it a request none of its passages answers: its FAQ entry
        written for patients when there is one, else its "about" passage."""
        for p in self.passages:
            written_for_patients = p.id in self._about_condition
            describes = written_for_patients or p.id == f"{p.condition_id}.about"
            if p.condition_id and describes and (p.condition_id not in self._stands_for or written_for_patients):
                self._stands_for[p.condition_id] = p.id
        rules = IntentRules(
            precedence=list(faq.intent_precedence),
            context_readings=faq.context_readings,
            question_word_fallback=faq.question_word_fallback,
            connectors=faq.intent_connectors,
            # an intent no passage answers ("qu'en penser ?") asks for an opinion on the rest of the question
            open_requests=frozenset(faq.intents) - {name for p in self.passages for name in p.intents},
        )
        self.intents = IntentMatcher(faq.intents, self.vocabulary, rules)
        self._about_answers = frozenset(faq.about_answers)
        self._intent_words = set(self.intents.vocabulary)
        """Words of intent phrases are words, not typos ("marche" in "mon foie ne marche plus" is not "match")."""
        answering: dict[str, list[int]] = {}
        for i, passage in enumerate(self.passages):
            for name in passage.intents:
                answering.setdefault(name, []).append(i)
        self._sole_answer = {name: found[0] for name, found in answering.items() if len(found) == 1}
        """Intents one passage alone answers ("can it damage my liver?": faq.cirrhosis)."""
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def query_tokens(self, question: str, intent_words: frozenset[str] = frozenset()) -> list[str]:
        """The question's stems (counted :data:`ORIGINAL_WEIGHT` times) plus their lexicon expansions.

        Numbers are left out (a patient's age, size or date is not a topic: "at 70" must not find the
        passage that says "70%"). Words of a matched intent phrase (``intent_words``) count
        :data:`INTENT_WORD_REPEAT` times and are not expanded: the intent boost already rewards them, and
        as BM25 words they would pull passages that merely use them ("attrapé" in the bilharzia answer
        for "comment on attrape une calcification ?").
        """
        ruled_out = negated(question) - intent_words
        original = [
            t if t in intent_words else self._spelling(t)
            for t in tokens(question)
            if not t.isdigit() and t not in ruled_out
        ] + [t for t in long_forms(question) if t[:STEM_LENGTH] not in ruled_out]
        topic = [t for t in original if t not in intent_words and t not in QUESTION_WORDS]
        expansion: list[str] = []
        for token in dict.fromkeys(topic):
            for other in sorted(self._canonical.get(token, ())):
                if other not in original and other not in expansion:
                    expansion.append(other)
        intent = [t for t in original if t in intent_words]
        return topic * ORIGINAL_WEIGHT + intent * INTENT_WORD_REPEAT + expansion

    def _spelling(self, token: str) -> str:
        """A token unknown to the index, replaced by the closest known one when it is a likely typo
        ("calcifed" -> "calcifi"); short tokens are left alone, they are too easily confused."""
        if token in self.vocabulary or token in self._intent_words or len(token) < 5 or token.isdigit():
            return token
        close = difflib.get_close_matches(token, self._sorted_vocabulary, n=3, cutoff=TYPO_CUTOFF)
        same_start = [c for c in close if c[0] == token[0]]  # typos rarely change the first letter
        return same_start[0] if same_start else token

    def scope(self, question: str, lang: str) -> Scope:
        """Whether and how calcitrack may answer the question (see ``domain_terms`` in faq.yaml).

        ``"domain"`` if it names a domain word, a KB condition by one of its full names ("cirrhosis",
        "HCC"), or an organ together with a finding (typos forgiven). ``"finding"`` for a question
        about "it" (the finding, as in the seeds' FAQ: "does it need surgery?") that asks about a topic
        of ``topic_terms`` and whose every word, as typed, is known to the passages: one unknown word
        ("bread", "contagious") is enough to refuse it, and "what time is it?" has no topic. The words of a
        matched intent phrase count as known and as a topic ("will they cut it out?"). ``None``: refuse.

        A question that names an organ calcitrack does not cover (``foreign_terms``: "calcifications in
        my breast") is refused unless it also names one of its organs or a condition-specific word:
        generic calcification words do not make it a liver question. Topics outside the scope that use
        its words (``off_topic_terms``: supplements, food, bone health) are refused the same way, and the
        mineral's name alone ("calcium channel blockers") is not a domain word without an organ, a finding
        or a word pointing at the finding ("is it really calcium?").
        """
        raw = [stem(w) for w in words(question)]
        corrected = {self._spelling(token) for token in raw}
        organs = self.organs | (self.organs_fr if lang == "fr" else set())
        stray = self._stray_readings(question)
        fully_named = bool(self.named_by_full_name(self._with_canonical(corrected, stray)))
        # against a foreign organ, only words as typed count: "pneumonie" is not a typo of "pneumocystose"
        specific = set(raw) & (self.domain - self.calcium) or self.named_by_full_name(
            self._with_canonical(set(raw), stray)
        )
        if (corrected | set(raw)) & self.foreign and not corrected & organs and not specific:
            return None
        # gallbladder stones that are not said to be calcified ("gallstones, not calcified: can I dissolve
        # them?") are not a calcification finding
        if set(raw) & self.gallbladder and set(raw) & self.stones and not fully_named:
            said = set(raw) - negated(question) - {stem(m.group(1)) for m in _DENIED.finditer(fold(question))}
            if not said & self.calcium:
                return None
        # the finding placed in an organ calcitrack does not cover ("a calcified nodule in my right lung,
        # probably old TB") is not its finding, whatever condition word comes with it
        if self._located_elsewhere(question) and not corrected & organs:
            return None
        # diet and supplements: refused unless the question is about a finding ("will eating less calcium
        # make the spots go away?")
        if set(raw) & self.off_topic and not corrected & (organs | self.findings) and not specific:
            return None
        anchors = corrected & self.domain
        # "calcium" alone is chemistry or diet ("calcium channel blockers", "calcium in tap water"): without
        # an organ, a finding, a condition word or a word pointing at the finding ("is it really calcium?"),
        # the question is not calcitrack's
        mineral_only = (
            bool(anchors)
            and anchors <= self.mineral
            and not corrected & (organs | self.findings)
            and not _DEICTIC.search(fold(question))
        )
        if (anchors and not mineral_only) or fully_named:
            return "domain"
        if corrected & organs and corrected & self.findings:
            return "domain"
        if raw and _PRONOUN.search(fold(question)):
            covered = {t for m in self.intents.match(question).values() for t in m.covered}
            if (set(raw) & self.topics or covered) and set(raw) - covered <= self.vocabulary:
                return "finding"
        return None

    def _located_elsewhere(self, question: str) -> bool:
        """Whether the question places something in an organ of ``foreign_terms`` ("in my right lung",
        "dans le sein gauche", "on my thyroid"): a place, not a history ("breast cancer")."""
        return any(stem(m.group(1)) in self.foreign for m in _LOCATION.finditer(fold(question)))

    def in_domain(self, question: str, lang: str) -> bool:
        return self.scope(question, lang) is not None

    def search(self, question: str, k: int = 4, *, general_only: bool = False) -> list[Hit]:
        """Best ``k`` passages, best first; passages scoring 0 are left out.

        ``general_only`` keeps the general FAQ entries only: a question about "it" names no condition,
        so an answer about one specific condition would be a guess.
        """
        asked = set(self.query_tokens(question)) - self._stray_readings(question)
        named = self.named_by_full_name(asked)
        matches = self.intents.read(question, named.values())
        intent_words = frozenset(t for m in matches.values() for t in m.covered)
        query = self.query_tokens(question, intent_words)
        if not query:
            return []
        scores = np.asarray(self._bm25.get_scores(query), dtype=float)
        # a word serving the request does not name a condition ("treated" in "how is calcified
        # metastasis treated?" does not make it the "treated metastasis" condition), unless nothing else does
        by_topic_words = self.named_by_full_name(set(query) - intent_words) or named
        best_named = self._best_named(set(by_topic_words), asked)
        # nor does it name one in part ("tissue" in "take a tissue sample" is not the soft-tissue sarcoma)
        topic_words = asked - intent_words
        scores *= self._naming_factors(topic_words, best_named)
        scores *= self._request_factors(matches, topic_words, bool(by_topic_words))
        scores *= self._intent_factors(matches, best_named)
        self._patient_worded_first(scores, matches, best_named)
        if general_only:
            for i, passage in enumerate(self.passages):
                if passage.id not in self.general:
                    scores[i] = 0.0
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]

    def _patient_worded_first(
        self, scores: np.ndarray, matches: Mapping[str, IntentMatch], fully_named: set[str]
    ) -> None:
        """Ranks an FAQ entry about a condition the question names by a whole name at least FAQ_PRIOR
        times above that condition's own passages answering the same request ("granulome calcifié : ça
        veut dire quoi ?" gets faq.granuloma_what, written for patients, before the condition's "about"
        passage, whose reference text shares more words with the question). In place, on ``scores``."""
        if not fully_named or not matches:
            return
        asked = _asked(matches)
        for i, passage in enumerate(self.passages):
            cid = passage.condition_id
            if not passage.variants or cid not in fully_named or passage.id not in self._about_condition:
                continue  # a general entry tagged with the condition ("what is a liver calcification?") is not about it
            if not asked & set(passage.intents):
                continue
            rivals = [
                scores[j]
                for j, other in enumerate(self.passages)
                if other.condition_id == cid and not other.variants and asked & set(other.intents)
            ]
            if rivals and scores[i] > 0:
                scores[i] = max(scores[i], max(rivals) * FAQ_PRIOR)

    def _with_canonical(self, words_: set[str], stray: set[str] | None = None) -> set[str]:
        return words_ | ({c for t in words_ for c in self._canonical.get(t, ())} - (stray or set()))

    def _stray_readings(self, question: str) -> set[str]:
        """Lexicon readings of the question's request words that are neither request words themselves nor
        words of the question: stem collisions, not topics ("scared" is not a "scar", hence not a
        granuloma); "traitée" still reads as "treated"."""
        requested = {t for m in self.intents.match(question).values() for t in m.covered}
        stray = {c for t in requested for c in self._canonical.get(t, ()) if c not in self._intent_words}
        return stray - set(tokens(question))

    def named_by_full_name(self, asked: set[str]) -> dict[str, frozenset[str]]:
        """Conditions the question names by a whole name, each with the longest such name's words.

        An organ word of a name is found through the lexicon too ("splenic" in a name is found by
        "spleen", "intrahepatic" by "liver"); other name words must be there as such (the lexicon puts
        "hepatolithiasis" with "stones", but "kidney stones" does not name hepatolithiasis). When one
        found name contains another ("splenic calcified granulomas" and "calcified granuloma"), only the
        more specific condition is kept.
        """
        found: dict[str, frozenset[str]] = {}
        for cid, names in self._full_names_by_id.items():
            for name in names:
                if all(
                    t in asked or (t in self.organs and self._canonical.get(t, set()) & asked) for t in name
                ) and len(name) > len(found.get(cid, ())):
                    found[cid] = frozenset(name)
        return {cid: name for cid, name in found.items() if not any(name < other for other in found.values())}

    def _best_named(self, fully_named: set[str], asked: set[str]) -> set[str]:
        """Of the conditions named by a whole name, those whose names (all of them, organ words through
        the lexicon) account for the most question words: "stones in the bile ducts inside my liver"
        names both "bile duct stone" and "intrahepatic duct stones", and "liver" tips it to the second."""

        def coverage(cid: str) -> int:
            name_words = set().union(*self._full_names_by_id.get(cid, [set()]))
            name_words |= {c for t in name_words if t in self.organs for c in self._canonical.get(t, ())}
            name_words |= {c for t in name_words for c in self._canonical.get(t, ())}
            return len(name_words & asked)

        if len(fully_named) < 2:
            return fully_named
        best = max(coverage(cid) for cid in fully_named)
        return {cid for cid in fully_named if coverage(cid) == best}

    def _naming_factors(self, asked: set[str], fully_named: set[str]) -> np.ndarray:
        """Per passage: UNNAMED_CONDITION_FACTOR when the passage is about a condition the question
        does not name, or is a general answer while the question names a specific condition; FAQ_PRIOR
        for FAQ entries."""
        factors = np.ones(len(self.passages))
        named = {cid for cid, toks in self._name_tokens.items() if toks & asked}
        for i, passage in enumerate(self.passages):
            cid = passage.condition_id
            general = passage.id in self.general
            if fully_named:
                # the question names a condition by a whole name: answers about other conditions rank lower
                if cid and cid not in fully_named:
                    factors[i] *= UNNAMED_CONDITION_FACTOR
            elif cid and not general and not (self._name_tokens.get(cid, set()) & asked):
                factors[i] *= UNNAMED_CONDITION_FACTOR  # about a condition the question does not name
            elif general and named and cid not in named:
                factors[i] *= UNNAMED_CONDITION_FACTOR  # "vésicule calcifiée": the gallbladder answer first
            if passage.variants:
                factors[i] *= FAQ_PRIOR
        return factors

    def _request_factors(self, matches: Mapping[str, IntentMatch], asked: set[str], named: bool) -> np.ndarray:
        """Per passage: undoes the naming penalty for the one passage answering the intent asked (the
        answer to "can it ruin my liver?" is faq.cirrhosis whether or not "cirrhosis" is said), and gives
        GENERAL_BONUS to the general FAQ entries answering it when the question names no condition at all
        ("what is that echogenic focus?" asks about a finding in general, not about the condition whose
        text happens to share most words)."""
        factors = np.ones(len(self.passages))
        if not matches:
            return factors
        asked_intents = _asked(matches)
        for name in asked_intents:
            sole = self._sole_answer.get(name)
            if sole is not None:
                passage = self.passages[sole]
                cid = passage.condition_id
                if cid and not self._name_tokens.get(cid, set()) & asked and passage.id not in self.general:
                    factors[sole] /= UNNAMED_CONDITION_FACTOR
        if named or any(tokens_ & asked for tokens_ in self._name_tokens.values()):
            return factors
        for i, passage in enumerate(self.passages):
            if passage.id in self.general and asked_intents & set(passage.intents):
                factors[i] *= GENERAL_BONUS
        return factors

    def _intent_factors(self, matches: Mapping[str, IntentMatch], fully_named: Set[str] = frozenset()) -> np.ndarray:
        """Per passage: 1 + INTENT_WEIGHT x the strength of the strongest of its intents the question
        expresses (1 when none).

        When the question names a condition by a whole name (``fully_named``), a passage about another
        condition gets no boost: it answers the request about the wrong thing ("a calcified haematoma
        after an accident, is it normal?" is not asking whether a fetal liver spot is serious, even though
        the named condition has no passage of its own on danger). General passages keep their boost.
        """
        factors = np.ones(len(self.passages))
        unanswered = self._named_without_answer(matches, fully_named)
        top = max((m.strength for m in matches.values()), default=0.0)
        for i, passage in enumerate(self.passages):
            cid = passage.condition_id
            if fully_named and cid and cid not in fully_named and passage.id not in self.general:
                continue
            if cid in unanswered and passage.id == self._stands_for.get(cid):
                factors[i] += INTENT_WEIGHT * top
                continue
            general = not cid or passage.id in self.general
            if fully_named and matches and general and not set(passage.intents) & set(matches):
                # nor does a general answer to another request outrank the named condition's own passages
                factors[i] = UNNAMED_CONDITION_FACTOR
                continue
            strength = max((matches[name].strength for name in passage.intents if name in matches), default=0.0)
            factors[i] += INTENT_WEIGHT * strength
        return factors

    def _named_without_answer(self, matches: Mapping[str, IntentMatch], fully_named: Set[str]) -> set[str]:
        """Conditions the question names by a whole name, none of whose passages answers the request asked.

        Their FAQ entry, or else their "about" passage, answers in their place ("angiome du foie, faut-il
        s'inquiéter ?": what a haemangioma is says whether to worry, better than the general answer about
        calcifications, which knows nothing of the condition the patient was told about)."""
        if not fully_named or not matches:
            return set()
        asked = _asked(matches)
        if not asked & self._about_answers:
            return set()
        answered = {p.condition_id for p in self.passages if p.condition_id in fully_named and asked & set(p.intents)}
        return {cid for cid in fully_named if cid not in answered}


def _asked(matches: Mapping[str, IntentMatch]) -> set[str]:
    """The intents the question asks: those at the strength of the strongest (``IntentMatcher.read`` gives
    the main request that strength). ``matches`` must not be empty."""
    top = max(m.strength for m in matches.values())
    return {name for name, m in matches.items() if m.strength == top}


__all__ = ["Hit", "Retriever", "fold"]
