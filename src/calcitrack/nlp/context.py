"""Patient context stated by the report (history and indication lines, narrative case reports).

Only what the report says is returned; the caller's context wins (``PatientContext.merged_over`` in
``service.analyze``). A cue preceded by a negation in its sentence ("no history of cancer", "apyrétique"
is not modelled, "sans fièvre" is) sets the flag to False; unknown stays None.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from typing import Any

from calcitrack.models import PatientContext
from calcitrack.nlp.guards import GuardedRegex
from calcitrack.nlp.lexicon import fold, get_lexicon
from calcitrack.nlp.sentences import split_sentences

FLAG_FIELDS = {
    "chronic_liver_disease", "granulomatous_exposure", "endemic_exposure", "immunosuppressed", "ckd_dialysis",
    "hyperparathyroidism", "vitamin_d_excess", "raised_phosphate", "fever", "jaundice", "abdominal_pain",
    "weight_loss", "prior_trauma", "pregnant", "raised_afp", "cholestatic_liver_tests", "fetal_finding",
}


@cache
def _compiled(lang: str) -> dict[str, Any]:
    ctx = get_lexicon(lang).context
    return {
        "history": re.compile(ctx.history_cue),
        "negation": re.compile(ctx.negation_cue),
        "scope": re.compile(ctx.scope_cue),
        "cancer": GuardedRegex.compile(ctx.cancer),
        "sites": [(site, re.compile(r)) for site, r in ctx.cancer_sites.items()],
        "flags": [(name, GuardedRegex.compile(r)) for name, r in ctx.flags.items()],
        "treatments": [(name, GuardedRegex.compile(r)) for name, r in ctx.prior_liver_treatment.items()],
        "age": GuardedRegex.compile(ctx.age),
        "age_months": GuardedRegex.compile(ctx.age_months) if ctx.age_months else None,
        "negation_after": re.compile(ctx.negation_after) if ctx.negation_after else None,
        "screening": re.compile(ctx.screening) if ctx.screening else None,
        "family": re.compile(ctx.family) if ctx.family else None,
        "female": GuardedRegex.compile(ctx.female),
        "male": GuardedRegex.compile(ctx.male),
    }


def _negated_before(sentence: str, position: int, negation: re.Pattern[str]) -> bool:
    """A negation cue in the 60 characters before ``position`` of the same clause."""
    window = sentence[max(0, position - 60):position]
    window = re.split(r"[,;:]|\bbut\b|\bmais\b", window)[-1]
    return negation.search(window) is not None


def _clause(sentence: str, at: int) -> str:
    """The clause of ``sentence`` around position ``at`` (split at , ; : and parentheses)."""
    starts = [m.end() for m in re.finditer(r"[,;:()]", sentence[:at])]
    end = re.search(r"[,;:()]", sentence[at:])
    return sentence[starts[-1] if starts else 0:at + end.start() if end else len(sentence)]


def _negated_after(sentence: str, end: int, negation: re.Pattern[str] | None) -> bool:
    """A denial written after the term in its clause ("HIV negative", "VIH négatif")."""
    if negation is None:
        return False
    return negation.match(re.split(r"[,;:.]", sentence[end:end + 40])[0]) is not None


_LINE_HEADER = re.compile(r"[^\S\n]*[^\W\d][^:\n]{1,40}:")
"""A line that opens with a label and a colon ("CLINICAL HISTORY:", "Antécédents :")."""


def _under_history_header(text: str, position: int, history: re.Pattern[str]) -> bool:
    """Whether ``position`` is on a line whose label is a history label: every sentence of "CLINICAL
    HISTORY: 66M. Mucinous adenocarcinoma of the stomach, gastrectomy 2021." tells the history, not only
    the one holding the label."""
    start = text.rfind("\n", 0, position) + 1
    header = _LINE_HEADER.match(text, start)
    return header is not None and header.end() <= position and history.search(header.group()) is not None


def read_context(text: str, lang: str) -> PatientContext:
    """The patient context the report states."""
    rx = _compiled(lang)
    original = text
    text = fold(text)  # patterns are lower case and run case-sensitively (faster); offsets are unchanged
    data: dict[str, Any] = {}
    age = rx["age"].search(text)
    if age:
        value = next((int(g) for g in age.groups() if g), None)
        if value is not None and 0 <= value <= 120:
            data["age"] = value
    months = rx["age_months"].search(text) if rx["age_months"] is not None and "age" not in data else None
    if months:
        value = next((int(g) for g in months.groups() if g), None)
        if value is not None and 0 <= value <= 240:
            data["age"] = value // 12  # whole years: a 20-month-old is 1
    head = text[:3000]
    women, men = sum(1 for _ in rx["female"].finditer(head)), sum(1 for _ in rx["male"].finditer(head))
    if women > men:
        data["sex"] = "female"
    elif men > women:
        data["sex"] = "male"
    cancer: str | None = None
    no_cancer = False
    treatments: list[str] = []
    spans = list(split_sentences(original))  # sentence ends are found by case: split before folding
    starts = [a for a, _ in spans]

    def sentence_of(position: int) -> tuple[str, int]:
        """The sentence holding ``position`` and the position relative to it."""
        i = max(0, bisect_right(starts, position) - 1)
        a, b = spans[i] if spans else (0, len(text))
        return text[a:b], position - a

    # one pass of each regex over the whole text, rather than one per sentence: reports are long
    for name, regex in rx["flags"]:
        for m in regex.finditer(text):
            sentence, at = sentence_of(m.start())
            denied_after = _negated_after(sentence, at + m.end() - m.start(), rx["negation_after"])
            if _negated_before(sentence, at, rx["scope"]) and not denied_after:
                continue  # "rule out fever", "bilan de douleurs": the question of the exam, not a fact
            value = not (denied_after or _negated_before(sentence, at, rx["negation"]))
            if name in FLAG_FIELDS and data.get(name) is not True:
                data[name] = value
    for m in rx["cancer"].finditer(text):
        sentence, at = sentence_of(m.start())
        if not rx["history"].search(sentence) and not _under_history_header(text, m.start(), rx["history"]):
            continue
        if rx["screening"] is not None and rx["screening"].search(_clause(sentence, at)):
            continue  # "lung cancer screening", "dépistage du cancer": looked for, not known
        if rx["family"] is not None and rx["family"].search(sentence):
            continue  # "breast cancer in her maternal aunt", "cancer du sein chez la mère": a relative's
        if _negated_before(sentence, at, rx["negation"]):
            no_cancer = True
        elif cancer is None or cancer == "other":
            cancer = next((site for site, regex in rx["sites"] if regex.search(sentence)), "other")
    for name, regex in rx["treatments"]:
        for m in regex.finditer(text):
            sentence, at = sentence_of(m.start())
            if name not in treatments and not _negated_before(sentence, at, rx["negation"]):
                treatments.append(name)
    if cancer is not None:
        data["known_primary_cancer"] = cancer
    elif no_cancer:
        data["known_primary_cancer"] = "none"
    if treatments:
        data["prior_liver_treatment"] = treatments
    if data.get("sex") == "male":
        data.pop("pregnant", None)
    if data.get("age", CHILD_OWN_PAST_AGE) < CHILD_OWN_PAST_AGE:
        # "6 y/o boy. Hx: fetal hepatic calcification on the anatomy scan": the child was that fetus; the
        # exam today is not a prenatal one (an obstetric report states the mother's age)
        data.pop("fetal_finding", None)
        data.pop("pregnant", None)
    return PatientContext.model_validate(data)


CHILD_OWN_PAST_AGE = 12
"""Below this stated age (years) the patient is a child, not the mother of an obstetric scan: a fetal or
pregnancy cue in the report is the child's own past, not today's examination."""
