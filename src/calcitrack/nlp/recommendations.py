"""The report's own recommendation ("Recommend follow-up ultrasound in 6 months", "contrôle à 6 mois").

A sentence becomes a :class:`ReportRecommendation` when it carries a recommendation cue and says what
(a modality), when (an interval) or that nothing is needed. Indication and history sections are skipped:
"referred for follow-up of ..." is the reason for the exam, not the radiologist's advice.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from calcitrack.models import Evidence, ReportRecommendation, Section
from calcitrack.nlp.guards import GuardedRegex
from calcitrack.nlp.lexicon import fold, get_lexicon
from calcitrack.nlp.sections import Header, section_at
from calcitrack.nlp.sentences import split_sentences

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "twelve": 12, "eighteen": 18, "twenty-four": 24, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4,
    "douze": 12, "dix-huit": 18,
}
_UNITS = {"day": "D", "jour": "D", "week": "W", "semaine": "W", "month": "M", "mois": "M", "year": "Y", "an": "Y",
          "année": "Y", "annee": "Y"}


@cache
def _compiled(lang: str) -> dict[str, Any]:
    rec = get_lexicon(lang).recommendation
    return {
        "trigger": GuardedRegex.compile(rec.trigger),
        "none": GuardedRegex.compile(rec.no_followup),
        "conditional": re.compile(rec.conditional),
        "hedged": re.compile(rec.hedged),
        "modalities": [(name, re.compile(r)) for name, r in rec.modalities.items()],
        "interval": re.compile(rec.interval),
        "words": [(re.compile(rf"\b{re.escape(w)}\b"), iso) for w, iso in rec.interval_words.items()],
    }


def iso_interval(number: str, unit: str) -> str | None:
    """ISO 8601 duration from "6" + "months" (or "six mois")."""
    n = int(number) if number.isdigit() else _WORD_NUMBERS.get(number.lower())
    u = unit.lower()
    code = _UNITS.get(u) or _UNITS.get(u.rstrip("s")) or _UNITS.get(u.rstrip("s").rstrip("e"))
    if not n or code is None:
        return None
    return f"P{n}{code}"


def read_interval(sentence: str, lang: str) -> str | None:
    """ISO 8601 interval stated in a (lower-cased) sentence: "in 6 months" → P6M, "annual" → P1Y."""
    rx = _compiled(lang)
    m = rx["interval"].search(sentence)
    if m:
        groups = [g for g in m.groups() if g]
        if len(groups) >= 2:
            return iso_interval(groups[0], groups[1])
    for regex, iso in rx["words"]:
        if regex.search(sentence):
            return str(iso)
    return None


def read_recommendations(text: str, lang: str, headers: list[Header]) -> list[ReportRecommendation]:
    """Recommendations stated by the report, in text order."""
    rx = _compiled(lang)
    folded = fold(text)
    found: list[ReportRecommendation] = []
    if not (rx["trigger"].possible(folded) or rx["none"].possible(folded)):
        return found
    for start, end in split_sentences(text):
        sentence = folded[start:end]
        if len(sentence) > 600:
            continue
        section, _ = section_at(headers, start)
        if section == Section.history:
            continue
        no_followup = rx["none"].search(sentence) is not None
        if not no_followup and not rx["trigger"].search(sentence):
            continue
        modality = next((name for name, regex in rx["modalities"] if regex.search(sentence)), None)
        interval = read_interval(sentence, lang)
        if not (no_followup or modality or interval):
            continue
        found.append(
            ReportRecommendation(
                modality=None if no_followup else modality,
                interval=None if no_followup else interval,
                conditional=rx["conditional"].search(sentence) is not None,
                hedged=rx["hedged"].search(sentence) is not None,
                no_followup=no_followup,
                evidence=Evidence(start=start, end=end, text=text[start:end]),
            )
        )
    return found
