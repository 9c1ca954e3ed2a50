"""Readability of patient-facing text: Flesch–Kincaid grade (English), Kandel–Moles ease (French).

French uses textstat's French Flesch reading ease, which is the Kandel & Moles (1958) adaptation
(207 − 1.015 × words/sentence − 73.6 × syllables/word, syllables by Pyphen's French dictionary).
English uses the Flesch–Kincaid grade formula (0.39 × words/sentence + 11.8 × syllables/word − 15.59)
with a vowel-group syllable counter: textstat's own English counter needs the NLTK ``cmudict`` corpus,
which is a download, and calcitrack must run offline.

Targets: English grade ≤ 8; French ease ≥ 60, the lower bound of the "standard" band, which is the
band Flesch's original scale gives to grade 8–9 text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textstat.textstat import textstatistics

EN_MAX_GRADE = 8.0
FR_MIN_EASE = 60.0

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9]+(?:['’][A-Za-zÀ-ÖØ-öø-ÿ]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def _sentences(text: str) -> int:
    return max(1, len(_SENTENCE_END.findall(text.strip() + " ")))


def english_syllables(word: str) -> int:
    """Vowel groups, minus a silent final "e" (but not "-le"), at least one."""
    word = word.lower()
    if word.isdigit():
        return max(1, len(word))  # "4" is read "four"; digits are rarely long in letters
    count = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if word.endswith("es") and len(word) > 3 and word[-3] not in "aeiouyszxgc" and count > 1:
        count -= 1  # "spots", "shapes": the "e" of a plural "-es" is usually silent
    return max(1, count)


@dataclass(frozen=True)
class Readability:
    lang: str
    score: float
    measure: str
    words: int
    sentences: int

    @property
    def ok(self) -> bool:
        return self.score <= EN_MAX_GRADE if self.lang == "en" else self.score >= FR_MIN_EASE


def flesch_kincaid_grade(text: str) -> float:
    words = _WORD.findall(text)
    if not words:
        return 0.0
    syllables = sum(english_syllables(w) for w in words)
    return 0.39 * len(words) / _sentences(text) + 11.8 * syllables / len(words) - 15.59


def kandel_moles(text: str) -> float:
    stats = textstatistics()
    stats.set_lang("fr")
    return float(stats.flesch_reading_ease(text))


def readability(text: str, lang: str) -> Readability:
    """Measure ``text``; ``Readability.ok`` says whether it meets the patient-letter target."""
    words = len(_WORD.findall(text))
    sentences = _sentences(text)
    if lang == "fr":
        return Readability("fr", kandel_moles(text), "Kandel-Moles reading ease", words, sentences)
    return Readability("en", flesch_kincaid_grade(text), "Flesch-Kincaid grade", words, sentences)
