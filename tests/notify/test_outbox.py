"""The outbox on a real database (SQLite and PostgreSQL) with real local servers: recording, claiming,
retry with backoff, the audit of every attempt, skipping moot reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from tests.notify.servers import FhirServer, SmtpSink, configure, free_port
from tests.registry.conftest import liver, make_analysis

from calcitrack.app.ingest import record
from calcitrack.app.notifications import set_clinician
from calcitrack.kb import KnowledgeBase
from calcitrack.notify import outbox
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.settings import get_settings

LATER = dt.timedelta(days=2)


def _follow_up(engine: Engine, kb: KnowledgeBase, *, responsible: str | None = "dr.martin") -> int:
    with session_scope(engine) as session:
        result = record(session, make_analysis(kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse")]),
                        kb=kb, responsible=responsible)
        set_clinician(session, "dr.martin", email="martin@hospital.test", fhir_reference="Practitioner/77",
                      actor="test", source="test")
    [pk] = result.follow_ups_created
    return pk


def _rows(engine: Engine) -> list[t.Notification]:
    with session_scope(engine) as session:
        rows = list(session.scalars(select(t.Notification).order_by(t.Notification.id)))
        session.expunge_all()
    return rows


def _audit(engine: Engine) -> list[t.AuditEvent]:
    with session_scope(engine) as session:
        rows = list(session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.entity == "notification").order_by(t.AuditEvent.id)
        ))
        session.expunge_all()
    return rows


def test_backoff_doubles_and_is_capped() -> None:
    waits = [outbox.backoff(n, 60, 600).total_seconds() for n in range(1, 7)]
    assert waits == [60, 120, 240, 480, 600, 600]


def test_enqueue_is_once_per_follow_up_kind_and_channel(engine: Engine, mini_kb: KnowledgeBase,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=None, email_on=False, fhir_on=False)
    pk = _follow_up(engine, mini_kb)
    with session_scope(engine) as session:
        assert outbox.enqueue(session, [pk, pk], "overdue", ["email", "fhir"]) == 2
    with session_scope(engine) as session:
        assert outbox.enqueue(session, [pk], "overdue", ["email", "fhir"]) == 0
        assert outbox.enqueue(session, [pk], "due_soon", ["email"]) == 1
    assert [(r.kind, r.channel, r.status, r.attempts) for r in _rows(engine)] == [
        ("overdue", "email", "queued", 0), ("overdue", "fhir", "queued", 0), ("due_soon", "email", "queued", 0)
    ]
    with session_scope(engine) as session, pytest.raises(ValueError, match="unknown notice kind"):
        outbox.enqueue(session, [pk], "reminder", ["email"])


def test_a_claimed_notice_is_not_claimed_again(engine: Engine, mini_kb: KnowledgeBase,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=None, email_on=False, fhir_on=False)
    pk = _follow_up(engine, mini_kb)
    now = t.utcnow()
    with session_scope(engine) as session:
        outbox.enqueue(session, [pk], "overdue", ["email"], now=now)
    with session_scope(engine) as session:
        [first] = outbox.claim(session, now, limit=10, public_url="https://c.test/")
    with session_scope(engine) as session:
        assert outbox.claim(session, now + dt.timedelta(minutes=1), limit=10, public_url=None) == []
    assert first.facts.patient == "P1" and first.facts.timeline_url == "https://c.test/ui/patients/P1"
    assert first.recipient is not None and first.recipient.email == "martin@hospital.test"
    assert first.lang == "en" and not first.closed


def test_delivery_sends_records_and_audits(engine: Engine, mini_kb: KnowledgeBase, smtp: SmtpSink,
                                           fhir: FhirServer, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=fhir.base_url)
    pk = _follow_up(engine, mini_kb)  # ingest queued one "created" notice per channel
    report = outbox.deliver(engine, get_settings(), actor="test", source="test")
    assert (report.sent, report.retrying, report.errors) == (2, 0, [])
    assert len(smtp.messages) == 1 and len(fhir.communications()) == 1
    rows = _rows(engine)
    assert {(r.kind, r.status, r.attempts, r.recipient) for r in rows} == {("created", "sent", 1, "dr.martin")}
    assert all(r.sent_at is not None and r.follow_up_pk == pk for r in rows)
    events = _audit(engine)
    assert [e.event for e in events] == ["notice_sent", "notice_sent"]
    for event in events:  # recipient id and channel, never the message, the address or the patient
        assert "clinician" in (event.detail or "") and "P1" not in (event.detail or "")
        assert "martin@hospital.test" not in (event.detail or "") and "calcitrack:" not in (event.detail or "")
    again = outbox.deliver(engine, get_settings(), actor="test", source="test", now=t.utcnow() + LATER)
    assert again.sent == 0 and len(smtp.messages) == 1


def test_failures_back_off_then_give_up(engine: Engine, mini_kb: KnowledgeBase, fhir: FhirServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=fhir.base_url, email_on=False)
    monkeypatch.setenv("CALCITRACK_NOTIFY_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    _follow_up(engine, mini_kb)
    fhir.status = 503
    start = t.utcnow()
    first = outbox.deliver(engine, get_settings(), actor="test", source="test", now=start)
    [row] = _rows(engine)
    assert first.retrying == 1 and (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at == start + dt.timedelta(seconds=60) and "HTTP 503" in (row.last_error or "")
    early = outbox.deliver(engine, get_settings(), actor="test", source="test", now=start + dt.timedelta(seconds=30))
    assert early.retrying == 0 and len(fhir.requests) == 1  # not due yet
    final = outbox.deliver(engine, get_settings(), actor="test", source="test", now=start + LATER)
    [row] = _rows(engine)
    assert final.failed == 1 and (row.status, row.attempts) == ("failed", 2)
    events = [(e.event, e.new_value) for e in _audit(engine)]
    assert events == [("notice_failed", "queued"), ("notice_failed", "failed")]


def test_unknown_clinician_stays_queued_until_registered(engine: Engine, mini_kb: KnowledgeBase, smtp: SmtpSink,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None, fhir_on=False)
    with session_scope(engine) as session:
        record(session, make_analysis(mini_kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse")]),
               kb=mini_kb, responsible="dr.new")
    report = outbox.deliver(engine, get_settings(), actor="test", source="test")
    [row] = _rows(engine)
    assert report.retrying == 1 and row.status == "queued" and "unknown" in (row.last_error or "")
    with session_scope(engine) as session:
        set_clinician(session, "dr.new", email="new@hospital.test", fhir_reference=None, actor="t", source="t")
    outbox.deliver(engine, get_settings(), actor="test", source="test", now=t.utcnow() + LATER)
    assert smtp.recipients == [["new@hospital.test"]] and _rows(engine)[0].status == "sent"


def test_reminders_of_a_closed_follow_up_are_skipped(engine: Engine, mini_kb: KnowledgeBase, smtp: SmtpSink,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None, fhir_on=False)
    pk = _follow_up(engine, mini_kb)
    with session_scope(engine) as session:
        outbox.enqueue(session, [pk], "overdue", ["email"])
        row = session.get(t.FollowUp, pk)
        assert row is not None
        row.status = "done"
    report = outbox.deliver(engine, get_settings(), actor="test", source="test")
    assert (report.sent, report.skipped) == (1, 1)  # "created" still tells; "overdue" no longer applies
    assert [r.status for r in _rows(engine)] == ["sent", "skipped"]
    assert len(smtp.messages) == 1 and "new follow-up" in smtp.messages[0]["Subject"]


def test_a_notice_that_cannot_be_built_is_recorded_not_fatal(engine: Engine, mini_kb: KnowledgeBase,
                                                            smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    """A patient key with a line break cannot go into a mail header: that notice fails, the others go."""
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None, fhir_on=False)
    with session_scope(engine) as session:
        set_clinician(session, "dr.martin", email="martin@hospital.test", fhir_reference=None, actor="t", source="t")
        for n, key in enumerate(("bad\r\nBcc: x@evil.test", "P2")):
            record(session, make_analysis(mini_kb, f"r{n}", key, "2025-01-10", [liver(6, pattern="coarse")]),
                   kb=mini_kb, responsible="dr.martin")
    report = outbox.deliver(engine, get_settings(), actor="test", source="test")
    assert (report.sent, report.retrying) == (1, 1)
    assert report.errors == ["cannot build the notice: ValueError"]
    assert smtp.recipients == [["martin@hospital.test"]] and "P2" in str(smtp.messages[0]["Subject"])
