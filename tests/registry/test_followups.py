"""Follow-up life cycle, reminder ladder, audit trail (append-only, enforced by the database)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from tests.registry.conftest import liver, make_analysis

from calcitrack.app.follow_ups import grace_days
from calcitrack.app.ingest import record
from calcitrack.errors import InputError
from calcitrack.kb import KnowledgeBase
from calcitrack.registry import followups, session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.audit import AuditError
from calcitrack.registry.queries import metrics

GRACE = grace_days()
"""The KB's reminder_grace_days (surveillance 30, workup 14, urgent 2), as app.follow_ups.run_sweep passes them."""


def _one_follow_up(engine: Engine, kb: KnowledgeBase, date: str = "2025-01-10") -> int:
    with session_scope(engine) as session:
        result = record(session, make_analysis(kb, "r1", "P1", date, [liver(6)]), kb=kb)
    return result.follow_ups_created[0]


def _set(engine: Engine, fid: int, status: str, reason: str | None = None) -> None:
    with session_scope(engine) as session:
        followups.change_status(
            session, followups.get(session, fid), status, actor="tester", source="pytest", reason=reason
        )


def test_due_date_is_lower_bound_of_the_interval(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)
    with session_scope(engine) as session:
        row = session.get(t.FollowUp, fid)
        assert row is not None
        assert row.interval == "P3M..P6M"
        assert row.due_date == dt.date(2025, 1, 10) + dt.timedelta(days=90)
        assert row.status == "pending" and row.escalation_role == followups.DEFAULT_ESCALATION_ROLE


def test_status_changes_are_audited(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)
    _set(engine, fid, "notified")
    _set(engine, fid, "scheduled")
    _set(engine, fid, "done")
    with session_scope(engine) as session:
        events = session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.entity == "follow_up", t.AuditEvent.entity_pk == fid)
            .order_by(t.AuditEvent.id)
        ).all()
        assert [(e.event, e.old_value, e.new_value) for e in events] == [
            ("created", None, "pending"),
            ("status", "pending", "notified"),
            ("status", "notified", "scheduled"),
            ("status", "scheduled", "done"),
        ]
        assert all(e.actor == "tester" for e in events[1:])
    with pytest.raises(InputError, match="done"):
        _set(engine, fid, "pending")


def test_cancel_requires_a_reason(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)
    with pytest.raises(InputError, match="reason"):
        _set(engine, fid, "cancelled")
    _set(engine, fid, "cancelled", reason="patient moved away")
    with session_scope(engine) as session:
        row = session.get(t.FollowUp, fid)
        assert row is not None and row.closed_reason == "patient moved away"


def test_unknown_status_and_id(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)
    with pytest.raises(InputError, match="unknown status"):
        _set(engine, fid, "forgotten")
    with pytest.raises(InputError, match="no follow-up"):
        _set(engine, 9999, "done")


def test_transfer_is_audited(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)
    with session_scope(engine) as session:
        followups.transfer(session, followups.get(session, fid), "Dr Nguyen", actor="tester", source="pytest")
    with session_scope(engine) as session:
        row = session.get(t.FollowUp, fid)
        assert row is not None and row.responsible == "Dr Nguyen"
        last = session.scalars(select(t.AuditEvent).order_by(t.AuditEvent.id.desc())).first()
        assert last is not None and last.event == "transfer" and last.new_value == "Dr Nguyen"


def test_sweep_marks_overdue_then_escalates(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _one_follow_up(engine, mini_kb)  # due 2025-04-10
    with session_scope(engine) as session:
        assert followups.sweep(session, dt.date(2025, 4, 10), actor="t", source="s", grace_days=GRACE).overdue == []
    with session_scope(engine) as session:
        first = followups.sweep(session, dt.date(2025, 4, 11), actor="t", source="s", grace_days=GRACE)
        assert first.overdue == [fid] and first.escalated == []
    with session_scope(engine) as session:
        second = followups.sweep(session, dt.date(2025, 5, 20), actor="t", source="s", grace_days=GRACE)
        assert second.overdue == [] and second.escalated == [fid]
    with session_scope(engine) as session:
        assert followups.sweep(session, dt.date(2025, 6, 20), actor="t", source="s", grace_days=GRACE).escalated == []
        row = session.get(t.FollowUp, fid)
        assert row is not None and row.status == "overdue" and row.escalated_at is not None
        m = metrics(session, dt.date(2025, 6, 20))
        assert m["open"] == 1 and m["overdue"] == 1 and m["by_action"]["surveillance"]["overdue"] == 1


def test_metrics_completion(engine: Engine, mini_kb: KnowledgeBase) -> None:
    with session_scope(engine) as session:
        record(session, make_analysis(mini_kb, "a", "P1", "2025-01-01", [liver(5)]), kb=mini_kb)
    with session_scope(engine) as session:
        record(session, make_analysis(mini_kb, "b", "P1", "2025-05-01", [liver(5)]), kb=mini_kb)
    with session_scope(engine) as session:
        m = metrics(session, dt.date(2025, 5, 2))
    assert m["done"] == 1 and m["open"] == 1 and m["completion_rate"] == 0.5
    assert m["median_days_to_completion"] == 120


def test_audit_is_append_only_in_the_orm(engine: Engine, mini_kb: KnowledgeBase) -> None:
    _one_follow_up(engine, mini_kb)
    with pytest.raises(AuditError), session_scope(engine) as session:
        event = session.scalars(select(t.AuditEvent)).first()
        assert event is not None
        event.actor = "someone else"
        session.flush()
    with pytest.raises(AuditError), session_scope(engine) as session:
        event = session.scalars(select(t.AuditEvent)).first()
        session.delete(event)
        session.flush()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"])
def test_audit_is_append_only_in_the_database(engine: Engine, mini_kb: KnowledgeBase, statement: str) -> None:
    _one_follow_up(engine, mini_kb)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events WHERE actor = 'x'")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() >= 2
