"""The words of a notice, in English or French (the language of the report that opened the follow-up).

Why so little: a notice travels over e-mail and into another system, so it carries the minimum a
clinician needs to act (the patient's pseudonym, what is due, when, and a link to the timeline) and never
report text, organ detail from the report, or any other identifier. ``what`` is the action level in plain
words, not the recommendation text (which is English-only KB text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LANGS: tuple[str, ...] = ("en", "fr")

ACTION_TEXT: dict[str, dict[str, str]] = {
    "surveillance": {"en": "surveillance imaging", "fr": "imagerie de surveillance"},
    "workup": {"en": "further work-up", "fr": "bilan complémentaire"},
    "urgent": {"en": "urgent assessment", "fr": "évaluation urgente"},
}

SUBJECT: dict[str, dict[str, str]] = {
    "created": {
        "en": "calcitrack: new follow-up for patient {patient}",
        "fr": "calcitrack : nouveau suivi pour le patient {patient}",
    },
    "due_soon": {
        "en": "calcitrack: follow-up due on {due} for patient {patient}",
        "fr": "calcitrack : suivi à échéance le {due} pour le patient {patient}",
    },
    "overdue": {
        "en": "calcitrack: follow-up overdue for patient {patient}",
        "fr": "calcitrack : suivi en retard pour le patient {patient}",
    },
    "escalated": {
        "en": "calcitrack: overdue follow-up escalated for patient {patient}",
        "fr": "calcitrack : suivi en retard escaladé pour le patient {patient}",
    },
}

LEAD: dict[str, dict[str, str]] = {
    "created": {
        "en": "A follow-up was opened for patient {patient}: {what}, due by {due}.",
        "fr": "Un suivi a été ouvert pour le patient {patient} : {what}, à réaliser avant le {due}.",
    },
    "due_soon": {
        "en": "The follow-up of patient {patient} ({what}) is due on {due}.",
        "fr": "Le suivi du patient {patient} ({what}) arrive à échéance le {due}.",
    },
    "overdue": {
        "en": "The follow-up of patient {patient} ({what}) was due on {due} and is not done.",
        "fr": "Le suivi du patient {patient} ({what}) était attendu le {due} et n'est pas réalisé.",
    },
    "escalated": {
        "en": "The follow-up of patient {patient} ({what}), due on {due}, is still overdue; it was escalated"
              " to the {role}.",
        "fr": "Le suivi du patient {patient} ({what}), attendu le {due}, est toujours en retard ; il a été"
              " signalé au {role}.",
    },
}

LINK: dict[str, str] = {"en": "Timeline: {url}", "fr": "Historique : {url}"}
REFERENCE: dict[str, str] = {"en": "Follow-up #{id} in calcitrack.", "fr": "Suivi n° {id} dans calcitrack."}


@dataclass(frozen=True)
class Facts:
    """Everything a notice may say; nothing else reaches the text."""

    kind: str
    follow_up_id: int
    patient: str
    """The pseudonymous patient key (never a name)."""
    action: str
    due_date: dt.date
    escalation_role: str | None = None
    timeline_url: str | None = None


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    lang: str


def language(lang: str | None) -> str:
    """The template language for a report language: French reports get French notices, others English."""
    return "fr" if (lang or "").lower().startswith("fr") else "en"


def render(facts: Facts, lang: str | None) -> Message:
    """The notice for ``facts`` in ``lang`` (see :func:`language`); KeyError for an unknown kind."""
    chosen = language(lang)
    fields = {
        "patient": facts.patient,
        "what": ACTION_TEXT.get(facts.action, {}).get(chosen, facts.action),
        "due": facts.due_date.isoformat(),
        "role": facts.escalation_role or ("coordinator" if chosen == "en" else "coordinateur"),
        "id": facts.follow_up_id,
    }
    lines = [LEAD[facts.kind][chosen].format(**fields)]
    if facts.timeline_url:
        lines.append(LINK[chosen].format(url=facts.timeline_url))
    lines.append(REFERENCE[chosen].format(**fields))
    return Message(subject=SUBJECT[facts.kind][chosen].format(**fields), body="\n\n".join(lines) + "\n", lang=chosen)
