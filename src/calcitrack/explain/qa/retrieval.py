"""Ranked lexical retrieval (BM25, via ``bm25s``) over the passages of both languages.

Each passage is indexed once with its question-side text counted twice and its answer text in both
languages, so a French question finds a passage through its French words and an English one through its
English words. Questions are expanded with the FAQ lexicon (a lay word or a translation also searches
the term the passages use: "taches" also searches "calcification"); the question's own words count
double, so an exact word still wins. Typos are mended against the index vocabulary, and condition
passages the question does not name are down-weighted, so general questions reach the general answers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np

from calcitrack.explain.qa.faq import FaqFile
from calcitrack.explain.qa.normalize import fold, long_forms, stem, tokens, words
from calcitrack.explain.qa.passages import Passage

QUESTION_WEIGHT = 2
ORIGINAL_WEIGHT = 2
_PRONOUN = re.compile(r"\b(?:it|this|that|they|ca|cela|ce|elle|il|elles|ils|la|le|l)\b")
"""A question about "it" refers to the finding being explained."""
TYPO_CUTOFF = 0.8
"""difflib similarity above which an unknown question word is read as a typo of a known word."""
UNNAMED_CONDITION_FACTOR = 0.5
"""Score factor of a condition passage when the question names no word of that condition's names.

Condition passages all share the aspect question words ("how often should ... be checked?"); without
this, a general question ("how often should a liver calcification be checked?") goes to whichever
condition has the shortest text instead of to the general answer."""
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
        self._full_names = [name for full in self._full_names_by_id.values() for name in full]
        self.topics = {stem(w) for term in faq.topic_terms for w in words(term)}
        self.organs = {stem(w) for term in faq.organ_terms for w in words(term)}
        self.organs_fr = {stem(w) for term in faq.organ_terms_fr for w in words(term)}
        self.findings = {stem(w) for term in faq.finding_terms for w in words(term)}
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
        document_frequency: dict[str, int] = {}
        for doc in corpus:
            for token in set(doc):
                document_frequency[token] = document_frequency.get(token, 0) + 1
        limit = COMMON_NAME_SHARE * len(corpus)
        generic = {stem(w) for term in faq.generic_name_words for w in words(term)}
        self._name_tokens = {
            cid: {t for t in toks if document_frequency.get(t, 0) <= limit and t not in generic}
            for cid, toks in name_tokens.items()
        }
        distinctive = set().union(*self._name_tokens.values()) if self._name_tokens else set()
        self.general = {
            p.id
            for p in self.passages
            if p.variants and 2 * sum(bool(set(tokens(v)) & distinctive) for v in p.variants) < len(p.variants)
        }
        """FAQ entries about calcifications in general: most of their questions name no condition."""
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def query_tokens(self, question: str) -> list[str]:
        """The question's stems (counted :data:`ORIGINAL_WEIGHT` times) plus their lexicon expansions."""
        original = [self._spelling(token) for token in tokens(question)] + long_forms(question)
        expansion: list[str] = []
        for token in dict.fromkeys(original):
            for other in sorted(self._canonical.get(token, ())):
                if other not in original and other not in expansion:
                    expansion.append(other)
        return original * ORIGINAL_WEIGHT + expansion

    def _spelling(self, token: str) -> str:
        """A token unknown to the index, replaced by the closest known one when it is a likely typo
        ("calcifed" -> "calcifi"); short tokens are left alone, they are too easily confused."""
        if token in self.vocabulary or len(token) < 5 or token.isdigit():
            return token
        close = difflib.get_close_matches(token, self._sorted_vocabulary, n=1, cutoff=TYPO_CUTOFF)
        return close[0] if close else token

    def scope(self, question: str, lang: str) -> Scope:
        """Whether and how calcitrack may answer the question (see ``domain_terms`` in faq.yaml).

        ``"domain"`` if it names a domain word, a KB condition by one of its full names ("cirrhosis",
        "HCC"), or an organ together with a finding (typos forgiven). ``"finding"`` for a question
        about "it" (the finding, as in the seeds' FAQ: "does it need surgery?") that asks about a topic
        of ``topic_terms`` and whose every word, as typed, is known to the passages: one unknown word
        ("bread", "contagious") is enough to refuse it, and "what time is it?" has no topic. ``None``:
        refuse.
        """
        raw = [stem(w) for w in words(question)]
        corrected = {self._spelling(token) for token in raw}
        if corrected & self.domain or any(name <= corrected for name in self._full_names):
            return "domain"
        organs = self.organs | (self.organs_fr if lang == "fr" else set())
        if corrected & organs and corrected & self.findings:
            return "domain"
        if raw and _PRONOUN.search(fold(question)) and set(raw) <= self.vocabulary and set(raw) & self.topics:
            return "finding"
        return None

    def in_domain(self, question: str, lang: str) -> bool:
        return self.scope(question, lang) is not None

    def search(self, question: str, k: int = 4, *, general_only: bool = False) -> list[Hit]:
        """Best ``k`` passages, best first; passages scoring 0 are left out.

        ``general_only`` keeps the general FAQ entries only: a question about "it" names no condition,
        so an answer about one specific condition would be a guess.
        """
        query = self.query_tokens(question)
        if not query:
            return []
        scores = np.asarray(self._bm25.get_scores(query), dtype=float)
        asked = set(query)
        fully_named = {cid for cid, full in self._full_names_by_id.items() if any(n <= asked for n in full)}
        for i, passage in enumerate(self.passages):
            cid = passage.condition_id
            if not cid:
                continue
            if fully_named:
                # the question names a condition by a whole name: answers about other conditions rank lower
                if cid not in fully_named:
                    scores[i] *= UNNAMED_CONDITION_FACTOR
            elif passage.id.startswith(f"{cid}.") and not (self._name_tokens.get(cid, set()) & asked):
                scores[i] *= UNNAMED_CONDITION_FACTOR
        if general_only:
            for i, passage in enumerate(self.passages):
                if passage.id not in self.general:
                    scores[i] = 0.0
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]


__all__ = ["Hit", "Retriever", "fold"]
