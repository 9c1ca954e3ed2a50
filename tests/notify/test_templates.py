"""The notice texts: EN/FR by the report's language, the minimum necessary, never report text."""

from __future__ import annotations

import datetime as dt

import pytest

from calcitrack.notify.templates import ACTION_TEXT, LEAD, SUBJECT, Facts, language, render

FACTS = Facts(kind="overdue", follow_up_id=12, patient="P-7f3a", action="workup", due_date=dt.date(2026, 3, 1),
              escalation_role="results-management coordinator",
              timeline_url="https://calcitrack.hospital.test/ui/patients/P-7f3a")


def test_every_kind_has_both_languages() -> None:
    for table in (SUBJECT, LEAD):
        assert set(table) == {"created", "due_soon", "overdue", "escalated"}
        assert all(set(texts) == {"en", "fr"} for texts in table.values())
    assert all(set(texts) == {"en", "fr"} for texts in ACTION_TEXT.values())


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "en"), ("fr", "fr"), ("fr-CA", "fr"), (None, "en"), ("de", "en")]
)
def test_language_follows_the_report(lang: str | None, expected: str) -> None:
    assert language(lang) == expected


def test_english_notice_says_who_what_when_and_links_the_timeline() -> None:
    message = render(FACTS, "en")
    assert message.lang == "en"
    assert message.subject == "calcitrack: follow-up overdue for patient P-7f3a"
    assert "further work-up" in message.body and "2026-03-01" in message.body
    assert "Timeline: https://calcitrack.hospital.test/ui/patients/P-7f3a" in message.body
    assert "#12" in message.body


def test_french_notice() -> None:
    message = render(FACTS, "fr")
    assert message.subject == "calcitrack : suivi en retard pour le patient P-7f3a"
    assert "bilan complémentaire" in message.body and "Historique : https://" in message.body
    assert "further" not in message.body


def test_escalated_names_the_role_and_no_link_without_a_public_url() -> None:
    facts = Facts(kind="escalated", follow_up_id=3, patient="P1", action="urgent", due_date=dt.date(2026, 1, 2),
                  escalation_role="on-call radiologist")
    message = render(facts, "en")
    assert "on-call radiologist" in message.body and "urgent assessment" in message.body
    assert "Timeline" not in message.body


def test_only_the_facts_reach_the_text() -> None:
    """The template gets no free text at all: its fields are the pseudonym, the action level, dates, ids."""
    assert set(Facts.__dataclass_fields__) == {
        "kind", "follow_up_id", "patient", "action", "due_date", "escalation_role", "timeline_url"
    }
