"""Issue 17, notifications, done when: a follow-up that becomes overdue sends one e-mail and one FHIR
Communication to local test servers; a dead SMTP server delays nothing and loses nothing.

Real servers (aiosmtpd, an HTTP FHIR endpoint on a thread), a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import Engine, select, update
from tests.notify.servers import FhirServer, SmtpSink, configure, fhir_server, free_port, silent_server
from tests.registry.conftest import liver, make_analysis

from calcitrack.app.ingest import record
from calcitrack.app.notifications import after_sweep, deliver_now, enabled_channels, raise_due, set_clinician
from calcitrack.app.worklist import build_worklist
from calcitrack.errors import InvalidInput
from calcitrack.kb import KnowledgeBase
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.settings import get_settings

LATER = dt.timedelta(days=2)


@pytest.fixture
def smtp() -> object:
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def fhir() -> object:
    with fhir_server() as server:
        yield server


def _ingest(engine: Engine, kb: KnowledgeBase, patients: tuple[str, ...] = ("P1",)) -> list[int]:
    created: list[int] = []
    with session_scope(engine) as session:
        set_clinician(session, "dr.martin", email="martin@hospital.test", fhir_reference="Practitioner/77",
                      actor="test", source="test")
    for n, patient in enumerate(patients):
        with session_scope(engine) as session:
            result = record(session, make_analysis(kb, f"r{n}", patient, "2025-01-10", [liver(6, pattern="coarse")]),
                            kb=kb, responsible="dr.martin")
        created += result.follow_ups_created
    return created


def _due(engine: Engine, pk: int) -> dt.date:
    with session_scope(engine) as session:
        row = session.get(t.FollowUp, pk)
        assert row is not None
        return row.due_date


def _kinds(smtp: SmtpSink, fhir: FhirServer) -> tuple[list[str], list[str]]:
    mails = [str(m["Subject"]).split(":")[1].split(" for ")[0].strip() for m in smtp.messages]
    comms = [c["payload"][0]["contentString"].split("\n")[0] for c in fhir.communications()]
    return mails, comms


def test_overdue_sends_one_email_and_one_communication(engine: Engine, mini_kb: KnowledgeBase, smtp: SmtpSink,
                                                       fhir: FhirServer, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=fhir.base_url)
    [pk] = _ingest(engine, mini_kb)
    assert smtp.messages == [] and fhir.requests == []  # ingest only records the "created" notice
    deliver_now(engine, actor="test", source="test")
    assert len(smtp.messages) == 1 and len(fhir.communications()) == 1
    overdue_day = _due(engine, pk) + dt.timedelta(days=1)
    for _ in range(3):  # the daily sweep runs again and again: one overdue notice per channel, not one per run
        after_sweep(engine, overdue_day, actor="sweep", source="test", now=t.utcnow() + LATER)
    assert len(smtp.messages) == 2 and len(fhir.communications()) == 2
    overdue_mail, overdue_comm = smtp.messages[1], fhir.communications()[1]
    assert overdue_mail["Subject"] == "calcitrack: follow-up overdue for patient P1"
    assert smtp.recipients[1] == ["martin@hospital.test"]
    body = overdue_mail.get_content()
    assert "https://calcitrack.hospital.test/ui/patients/P1" in body and "report r0" not in body
    assert overdue_comm["recipient"] == [{"reference": "Practitioner/77"}]
    assert overdue_comm["about"] == [{"identifier": {"system": "urn:calcitrack:follow-up", "value": str(pk)}}]
    assert "overdue" in overdue_comm["payload"][0]["contentString"]


def test_due_soon_and_escalated_are_announced_once(engine: Engine, mini_kb: KnowledgeBase,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=None, fhir_on=False)
    [pk] = _ingest(engine, mini_kb)
    due = _due(engine, pk)
    with session_scope(engine) as session:
        assert raise_due(session, due - dt.timedelta(days=30)) == {"due_soon": 0, "overdue": 0, "escalated": 0}
        assert raise_due(session, due - dt.timedelta(days=3))["due_soon"] == 1
        assert raise_due(session, due - dt.timedelta(days=2))["due_soon"] == 0
        session.execute(update(t.FollowUp).where(t.FollowUp.id == pk).values(escalated_at=t.utcnow()))
        counts = raise_due(session, due + dt.timedelta(days=40))
        assert counts == {"due_soon": 0, "overdue": 1, "escalated": 1}
        kinds = session.scalars(select(t.Notification.kind).order_by(t.Notification.id)).all()
    assert kinds == ["created", "due_soon", "overdue", "escalated"]


def test_dead_smtp_delays_nothing_and_loses_nothing(engine: Engine, mini_kb: KnowledgeBase, fhir: FhirServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens: connection refused
    configure(monkeypatch, smtp_port=port, fhir_url=fhir.base_url)
    [pk] = _ingest(engine, mini_kb)
    overdue_day = _due(engine, pk) + dt.timedelta(days=1)
    started = time.monotonic()
    run = after_sweep(engine, overdue_day, actor="sweep", source="test")
    assert time.monotonic() - started < 3
    assert run.queued["overdue"] == 2 and run.delivery.sent == 2  # FHIR is up: created + overdue went out
    assert run.delivery.retrying == 1 and run.delivery.deferred == 1  # one refused attempt, then not retried
    with session_scope(engine) as session:
        mails = session.scalars(select(t.Notification).where(t.Notification.channel == "email")).all()
        assert sorted((m.kind, m.status) for m in mails) == [("created", "queued"), ("overdue", "queued")]
        assert sorted(m.attempts for m in mails) == [0, 1]
        failed = session.scalars(select(t.AuditEvent).where(t.AuditEvent.event == "notice_failed")).all()
        assert len(failed) == 1 and "unreachable" in (failed[0].detail or "")
    sink = SmtpSink(port)  # the mail server comes back
    sink.start()
    try:
        deliver_now(engine, actor="cron", source="test", now=t.utcnow() + LATER)
        deliver_now(engine, actor="cron", source="test", now=t.utcnow() + 2 * LATER)
    finally:
        sink.stop()
    subjects = sorted(str(m["Subject"]) for m in sink.messages)
    assert subjects == ["calcitrack: follow-up overdue for patient P1", "calcitrack: new follow-up for patient P1"]
    assert len(fhir.communications()) == 2


def test_hung_smtp_server_costs_one_timeout_per_run(engine: Engine, mini_kb: KnowledgeBase,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as port:
        configure(monkeypatch, smtp_port=port, fhir_url=None, fhir_on=False, timeout=0.5)
        started = time.monotonic()
        created = _ingest(engine, mini_kb, ("P1", "P2", "P3"))
        ingest_seconds = time.monotonic() - started
        started = time.monotonic()
        run = after_sweep(engine, _due(engine, created[0]) + dt.timedelta(days=1), actor="sweep", source="test")
        sweep_seconds = time.monotonic() - started
    assert ingest_seconds < 30  # ingest never talks to the mail server (the bound is only for slow CI)
    assert sweep_seconds < 2.5, sweep_seconds  # one 0.5 s timeout, not six
    assert (run.delivery.retrying, run.delivery.deferred, run.delivery.sent) == (1, 5, 0)
    with session_scope(engine) as session:
        assert session.scalars(select(t.Notification.status).distinct()).all() == ["queued"]


def test_worklist_shows_who_was_told_what_and_when(engine: Engine, mini_kb: KnowledgeBase, smtp: SmtpSink,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None)  # FHIR on but unset: that channel fails
    [pk] = _ingest(engine, mini_kb)
    deliver_now(engine, actor="test", source="test")
    with session_scope(engine) as session:
        [item] = build_worklist(session).items
    told = {(n.channel, n.kind, n.status, n.recipient) for n in item.notices}
    assert item.follow_up_id == pk
    assert told == {("email", "created", "sent", "dr.martin"), ("fhir", "created", "queued", "dr.martin")}
    fhir_notice = next(n for n in item.notices if n.channel == "fhir")
    assert fhir_notice.attempts == 1 and fhir_notice.next_attempt_at is not None
    assert "CALCITRACK_FHIR_BASE_URL" in (fhir_notice.last_error or "")
    email_notice = next(n for n in item.notices if n.channel == "email")
    assert email_notice.sent_at is not None and item.model_dump(mode="json")["notices"][0]["sent_at"]


def test_switched_off_channels_queue_nothing(engine: Engine, mini_kb: KnowledgeBase,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=None, email_on=False, fhir_on=False)
    assert enabled_channels() == []
    [pk] = _ingest(engine, mini_kb)
    run = after_sweep(engine, _due(engine, pk) + dt.timedelta(days=1), actor="sweep", source="test")
    assert run.queued == {} and run.delivery.sent == 0
    with session_scope(engine) as session:
        assert session.scalars(select(t.Notification)).all() == []


def test_clinician_contact_points_are_checked_and_audited(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = set_clinician(session, " dr.martin ", email="martin@hospital.test", fhir_reference=None,
                              actor="admin", source="test")
        second = set_clinician(session, "dr.martin", email=None, fhir_reference="Practitioner/77", actor="admin",
                               source="test")
        assert first.id == second.id and (second.email, second.fhir_reference) == (
            "martin@hospital.test", "Practitioner/77")
        events = session.scalars(select(t.AuditEvent.event).where(t.AuditEvent.entity == "clinician")).all()
        assert events == ["created", "updated"]
        with pytest.raises(InvalidInput, match="--email"):
            set_clinician(session, "x", email="not an address", fhir_reference=None, actor="a", source="t")
        with pytest.raises(InvalidInput, match="--fhir"):
            set_clinician(session, "x", email=None, fhir_reference="Patient/1", actor="a", source="t")
    get_settings.cache_clear()
