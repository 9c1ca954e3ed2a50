"""The read-side use cases called directly: worklist, timeline, follow-up changes, CDS cards, with the
audit built in (issue 16). The faces are tested in tests/api, tests/web and tests/interop."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from tests.registry.conftest import liver, make_analysis

from calcitrack.app import cds
from calcitrack.app.access import Reader
from calcitrack.app.auth import Principal, may
from calcitrack.app.follow_ups import FollowUpNotFound, InvalidChange, TransitionRefused, change_follow_up
from calcitrack.app.ingest import record
from calcitrack.app.timeline import Timeline, build_timeline, read_timeline
from calcitrack.app.worklist import Worklist, build_worklist, read_worklist
from calcitrack.errors import InputError
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import SCHEMA_VERSION
from calcitrack.registry import queries, session_scope
from calcitrack.registry import tables as t

READER = Reader(Principal(name="dr.martin", role="clinician", key_prefix="abc"), channel="ui", client="10.0.0.7")


@pytest.fixture
def stored(engine: Engine, mini_kb: KnowledgeBase) -> Engine:
    """Patient P1: one coarse liver calcification under surveillance (seed policy), due in 2025."""
    with session_scope(engine) as session:
        record(session, make_analysis(mini_kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse")]), kb=mini_kb)
    return engine


def _patient_events(engine: Engine) -> list[t.AuditEvent]:
    with session_scope(engine) as session:
        events = list(session.scalars(select(t.AuditEvent).where(t.AuditEvent.entity == "patient")))
        session.expunge_all()
    return events


def test_overdue_has_one_definition(stored: Engine) -> None:
    """One SQL expression (registry.queries.overdue) judges every read: before, on and after the due date,
    marked by the ladder whatever the date, never once closed."""
    with session_scope(stored) as session:
        row = session.scalars(select(t.FollowUp)).one()
        due = row.due_date

        def late(day: dt.date) -> bool:
            return bool(session.scalar(select(queries.overdue(day)).where(t.FollowUp.id == row.id)))

        assert late(due + dt.timedelta(days=1)) and not late(due)
        row.status = "overdue"
        session.flush()
        assert late(due - dt.timedelta(days=400))  # marked by the ladder, whatever the date
        row.status = "done"
        session.flush()
        assert not late(due + dt.timedelta(days=4000))  # closed follow-ups are never overdue
        session.rollback()


def test_worklist_is_typed_overdue_is_judged_as_of_and_the_read_is_audited(stored: Engine) -> None:
    with session_scope(stored) as session:
        early = read_worklist(session, READER, as_of=dt.date(2025, 1, 11))
        late = build_worklist(session, as_of=dt.date(2030, 1, 1))
    assert isinstance(early, Worklist) and early.schema_version == SCHEMA_VERSION
    assert early.count == len(early.items) == 1
    [item] = early.items
    assert item.patient_id == "P1" and item.lesion_id is not None and not item.overdue
    assert late.items[0].overdue and late.as_of == dt.date(2030, 1, 1)
    [event] = _patient_events(stored)  # build_worklist does not audit; read_worklist does, once
    assert (event.event, event.actor, event.source) == ("read", "dr.martin", "ui@10.0.0.7")
    assert event.detail == "worklist (role clinician)"
    with session_scope(stored) as session, pytest.raises(InputError):
        read_worklist(session, READER, statuses=["lost"])


def test_timeline_carries_lesions_per_report_and_audits_the_read(stored: Engine) -> None:
    with session_scope(stored) as session:
        story = read_timeline(session, READER, "P1", what="ui timeline")
    assert isinstance(story, Timeline) and story.schema_version == SCHEMA_VERSION
    [report] = story.reports
    [lesion] = report.lesions
    assert report.report_id == "r1" and report.date == dt.date(2025, 1, 10)
    assert lesion.finding_ids and lesion.main_finding_id in lesion.finding_ids
    [follow_up] = story.follow_ups
    assert follow_up.lesion_id == lesion.lesion_id and follow_up.overdue  # due in 2025, judged today
    assert [e.detail for e in _patient_events(stored)] == ["ui timeline (role clinician)"]
    with session_scope(stored) as session, pytest.raises(InputError, match="NOBODY"):
        build_timeline(session, "NOBODY")


def test_follow_up_changes_and_their_refusals(stored: Engine) -> None:
    with session_scope(stored) as session:
        fid = build_worklist(session).items[0].follow_up_id
    with session_scope(stored) as session:
        moved = change_follow_up(session, fid, status="scheduled", responsible="Dr Nguyen", actor="nurse",
                                 source="ui@10.0.0.7")
    assert (moved.previous_status, moved.status, moved.responsible) == ("pending", "scheduled", "Dr Nguyen")
    with session_scope(stored) as session:
        events = [(e.event, e.actor, e.source) for e in session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.entity == "follow_up", t.AuditEvent.entity_pk == fid))]
    assert ("transfer", "nurse", "ui@10.0.0.7") in events and ("status", "nurse", "ui@10.0.0.7") in events
    for kwargs, error in (
        ({"status": "lost"}, InvalidChange),
        ({"status": "cancelled"}, InvalidChange),  # cancelling needs a reason
    ):
        with session_scope(stored) as session, pytest.raises(error):
            change_follow_up(session, fid, actor="x", source="x", **kwargs)  # type: ignore[arg-type]
    with session_scope(stored) as session, pytest.raises(FollowUpNotFound):
        change_follow_up(session, 999_999, status="done", actor="x", source="x")
    with session_scope(stored) as session:
        change_follow_up(session, fid, status="done", actor="x", source="x")
    with session_scope(stored) as session, pytest.raises(TransitionRefused, match="done"):
        change_follow_up(session, fid, status="pending", actor="x", source="x")  # closed never reopens


def test_cds_cards_come_from_the_read_models(stored: Engine) -> None:
    with session_scope(stored) as session:
        worklist = build_worklist(session, patient="P1", limit=None, as_of=dt.date(2030, 1, 1))
        story = build_timeline(session, "P1", as_of=dt.date(2030, 1, 1))
        assert cds.find_patient(session, ["smart-1", "P1"]) == "P1"
        assert cds.patient_cards(session, READER, ["smart-1"], "https://ehr") == []
    [card] = cds.follow_up_cards(worklist, story, "https://ehr")
    assert cds.parse_card_uuid(card["uuid"]) == ("follow_up", worklist.items[0].follow_up_id)
    assert card["summary"].startswith("Overdue") and card["links"][0]["url"] == "https://ehr/ui/patients/P1"
    assert cds.unaddressed_cards(story, "https://ehr") == []  # the lesion's follow-up tracks it
    untracked = story.model_copy(update={"follow_ups": []})
    [unaddressed] = cds.unaddressed_cards(untracked, "https://ehr")
    lesion = story.reports[0].lesions[0]
    assert cds.parse_card_uuid(unaddressed["uuid"]) == ("finding", lesion.main_finding_id)
    action_words = get_kb().text(f"action_short.{lesion.action}", "en")  # cards show words, not codes
    assert f"assessed as {action_words}" in unaddressed["summary"]
    with session_scope(stored) as session:
        cards = cds.patient_cards(session, READER, ["P1"], "https://ehr")
    assert len(cards) == 1
    assert [e.event for e in _patient_events(stored)] == ["cds_view"]


def test_one_permission_table() -> None:
    assert may("coordinator", "follow_up:status") and not may("clinician", "follow_up:status")
    assert not may(None, "worklist:read")
    with pytest.raises(KeyError):
        may("admin", "no-such-permission")
