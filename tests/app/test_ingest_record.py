"""The ingest use case's record(): the three-report series, idempotence, amending, linking rules, closing rules
(decided in calcitrack.app, stored by calcitrack.registry.store), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from tests.registry.conftest import liver, make_analysis

from calcitrack.app.ingest import record
from calcitrack.kb import KnowledgeBase
from calcitrack.models import PatientContext
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.queries import row_counts, timeline, worklist
from calcitrack.registry.store import ReportConflictError


def _series(kb: KnowledgeBase) -> list:  # type: ignore[type-arg]
    return [
        make_analysis(kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse", acoustic_shadow=True)]),
        make_analysis(kb, "r2", "P1", "2025-07-15", [liver(6, pattern="coarse", interval_change="stable")]),
        make_analysis(kb, "r3", "P1", "2026-01-20", [liver(11, pattern="coarse", associated_mass=True)]),
    ]


def _store(engine: Engine, analysis, kb: KnowledgeBase, **kwargs):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return record(session, analysis, kb=kb, **kwargs)


def _open(engine: Engine) -> list[t.FollowUp]:
    with session_scope(engine) as session:
        return list(session.scalars(select(t.FollowUp).where(t.FollowUp.status.in_(t.OPEN_STATUSES))).all())


def test_three_report_series_escalates_to_one_open_workup(engine: Engine, mini_kb: KnowledgeBase) -> None:
    r1, r2, r3 = _series(mini_kb)
    first = _store(engine, r1, mini_kb)
    assert first.status == "stored" and len(first.follow_ups_created) == 1
    assert [f.action for f in _open(engine)] == ["surveillance"]

    second = _store(engine, r2, mini_kb)
    assert second.follow_ups_closed == first.follow_ups_created  # fulfilled by the control ultrasound
    assert [f.action for f in _open(engine)] == ["surveillance"]

    third = _store(engine, r3, mini_kb)
    assert third.escalated
    still_open = _open(engine)
    assert len(still_open) == 1
    assert still_open[0].action in ("workup", "urgent")
    with session_scope(engine) as session:
        surveillance = session.get(t.FollowUp, second.follow_ups_created[0])
        assert surveillance is not None
        assert surveillance.status == "cancelled"
        assert surveillance.superseded_by_pk == still_open[0].id
        finding = session.scalars(select(t.Finding).join(t.Report).where(t.Report.report_id == "r3")).one()
        assert finding.computed_change == "increased"  # the report never said so
        assert finding.reported_change is None
        assert [a.recomputed for a in finding.assessments] == [False, True]
        assert finding.assessments[-1].action == "workup"
        first_finding = session.scalars(select(t.Finding).join(t.Report).where(t.Report.report_id == "r1")).one()
        second_finding = session.get(t.Finding, finding.prior_finding_pk)
        assert second_finding is not None and second_finding.prior_finding_pk == first_finding.id

    with session_scope(engine) as session:
        before = row_counts(session)
    for analysis in (r1, r2, r3):
        assert _store(engine, analysis, mini_kb).status == "unchanged"
    with session_scope(engine) as session:
        assert row_counts(session) == before


def test_same_id_different_text_is_an_error_unless_amended(engine: Engine, mini_kb: KnowledgeBase) -> None:
    original = make_analysis(mini_kb, "r1", "P1", "2025-01-10", [liver(6)])
    _store(engine, original, mini_kb)
    changed = make_analysis(mini_kb, "r1", "P1", "2025-01-10", [liver(7)])
    with pytest.raises(ReportConflictError, match="r1"):
        _store(engine, changed, mini_kb)
    amended = _store(engine, changed, mini_kb, amend=True)
    assert amended.status == "amended" and amended.version == 2
    with session_scope(engine) as session:
        versions = session.scalars(select(t.Report).where(t.Report.report_id == "r1").order_by(t.Report.version)).all()
        assert [(r.version, r.is_current) for r in versions] == [(1, False), (2, True)]
    open_rows = _open(engine)
    assert len(open_rows) == 1  # the old version's follow-up was cancelled, the new one is open
    with session_scope(engine) as session:
        cancelled = session.scalars(select(t.FollowUp).where(t.FollowUp.status == "cancelled")).one()
        assert "amended" in (cancelled.closed_reason or "")


def test_stability_for_the_policy_duration_closes_surveillance(engine: Engine, mini_kb: KnowledgeBase) -> None:
    _store(engine, make_analysis(mini_kb, "a", "P2", "2023-01-01", [liver(5)]), mini_kb)
    _store(engine, make_analysis(mini_kb, "b", "P2", "2024-01-05", [liver(5)]), mini_kb)
    assert len(_open(engine)) == 1  # one year: not yet the P2Y duration
    result = _store(engine, make_analysis(mini_kb, "c", "P2", "2025-01-10", [liver(5.5)]), mini_kb)
    assert result.follow_ups_created == []
    assert _open(engine) == []
    with session_scope(engine) as session:
        closed = session.get(t.FollowUp, result.follow_ups_closed[0])
        assert closed is not None and closed.status == "done" and "stable for P2Y" in (closed.closed_reason or "")


def test_resolved_finding_closes_follow_up(engine: Engine, mini_kb: KnowledgeBase) -> None:
    _store(engine, make_analysis(mini_kb, "a", "P3", "2025-01-01", [liver(5)]), mini_kb)
    result = _store(engine, make_analysis(mini_kb, "b", "P3", "2025-06-01", [liver(None, negated=True)]), mini_kb)
    assert _open(engine) == [] and len(result.follow_ups_closed) == 1


def test_no_followup_action_creates_no_follow_up(engine: Engine, mini_kb: KnowledgeBase) -> None:
    analysis = make_analysis(mini_kb, "s", "P4", "2025-01-01", [liver(5)], policy="standard")
    assert analysis.assessments[0].action == "no_followup"
    assert _store(engine, analysis, mini_kb).follow_ups_created == []
    assert _open(engine) == []


def test_reported_stable_but_measured_growth_is_reassessed(engine: Engine, mini_kb: KnowledgeBase) -> None:
    _store(engine, make_analysis(mini_kb, "a", "P5", "2025-01-01", [liver(4)]), mini_kb)
    result = _store(
        engine, make_analysis(mini_kb, "b", "P5", "2025-06-01", [liver(8, interval_change="stable")]), mini_kb
    )
    assert result.escalated
    assert [f.action for f in _open(engine)] == ["workup"]


def test_other_patient_and_other_site_are_not_linked(engine: Engine, mini_kb: KnowledgeBase) -> None:
    _store(engine, make_analysis(mini_kb, "a", "P6", "2025-01-01", [liver(4)]), mini_kb)
    _store(engine, make_analysis(mini_kb, "b", "P7", "2025-06-01", [liver(9)]), mini_kb)
    _store(engine, make_analysis(mini_kb, "c", "P6", "2025-06-01", [liver(9, site="segment_II")]), mini_kb)
    with session_scope(engine) as session:
        assert all(f.prior_finding_pk is None for f in session.scalars(select(t.Finding)))
    assert len(_open(engine)) == 3


def test_growth_escalates_even_when_the_kb_would_keep_surveillance(engine: Engine, mini_kb: KnowledgeBase) -> None:
    # No growth, but a new suspicious feature: no mini-KB rule escalates, so the registry's safety net must.
    _store(engine, make_analysis(mini_kb, "a", "P8", "2025-01-01", [liver(5)]), mini_kb)
    result = _store(
        engine, make_analysis(mini_kb, "b", "P8", "2025-06-01", [liver(5, duct_dilatation=True)]), mini_kb
    )
    assert result.escalated
    open_rows = _open(engine)
    assert [(f.action, f.origin) for f in open_rows] == [("workup", "registry_escalation")]


def test_worklist_and_timeline(engine: Engine, mini_kb: KnowledgeBase) -> None:
    for analysis in _series(mini_kb):
        _store(engine, analysis, mini_kb, responsible="Dr Martin")
    with session_scope(engine) as session:
        rows = worklist(session)
        assert len(rows) == 1
        row = rows[0]
        for key in ("follow_up_id", "patient_id", "finding_id", "action", "status", "due_date", "what"):
            assert key in row
        assert row["patient_id"] == "P1" and row["responsible"] == "Dr Martin"
        # due 2026-02-19: overdue as of any later day, with no sweep; the stored status is still pending
        assert (row["status"], row["stored_status"], row["overdue"]) == ("overdue", "pending", True)
        assert worklist(session, as_of=__import__("datetime").date(2026, 2, 1))[0]["status"] == "pending"
        assert worklist(session, statuses=["done"])[0]["action"] == "surveillance"
        assert worklist(session, due_before=__import__("datetime").date(2026, 1, 1)) == []
        story = timeline(session, "P1", __import__("datetime").date(2026, 2, 1))
        assert [r["report_id"] for r in story["reports"]] == ["r1", "r2", "r3"]
        assert [f["status"] for f in story["follow_ups"]] == ["done", "cancelled", "pending"]
        assert story["follow_ups"][1]["events"][-1]["event"] == "superseded"


def test_missing_patient_is_an_error(engine: Engine, mini_kb: KnowledgeBase) -> None:
    analysis = make_analysis(mini_kb, "x", "P9", "2025-01-01", [liver(5)])
    analysis = analysis.model_copy(update={"report": analysis.report.model_copy(update={"patient_id": None})})
    with pytest.raises(Exception, match="patient_id"):
        _store(engine, analysis, mini_kb)


def test_context_is_stored(engine: Engine, mini_kb: KnowledgeBase) -> None:
    analysis = make_analysis(mini_kb, "x", "P9", "2025-01-01", [liver(5)], context=PatientContext(age=50))
    _store(engine, analysis, mini_kb)
    with session_scope(engine) as session:
        assert session.scalars(select(t.Report)).one().context == {"age": 50}


def test_repeated_mentions_make_one_lesion_and_one_follow_up(engine: Engine, mini_kb: KnowledgeBase) -> None:
    mentions = [liver(6, fid="f1", pattern="coarse"), liver(6, fid="f2", site=None, section="impression")]
    result = _store(engine, make_analysis(mini_kb, "a", "P10", "2025-01-01", mentions), mini_kb)
    assert len(result.follow_ups_created) == 1
    later = [liver(6, fid="f1"), liver(6, fid="f2", site=None, section="impression")]
    second = _store(engine, make_analysis(mini_kb, "b", "P10", "2025-06-01", later), mini_kb)
    assert second.follow_ups_closed == result.follow_ups_created and len(second.follow_ups_created) == 1
    with session_scope(engine) as session:
        rows = session.scalars(select(t.Finding).order_by(t.Finding.id)).all()
        assert [(r.key, r.mention_of_pk is not None, r.prior_finding_pk is not None) for r in rows] == [
            ("f1", False, False), ("f2", True, False), ("f1", False, True), ("f2", True, False)
        ]
        assert rows[2].prior_finding_pk == rows[0].id


def test_migrations_match_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    ours = (t.Patient, t.Report, t.Lesion, t.Finding, t.Assessment, t.FollowUp, t.AuditEvent, t.ApiUser, t.ApiKey,
            t.Clinician, t.Notification)
    mine = {table.__tablename__ for table in ours}

    def table_of(op: object) -> str | None:
        item = op[0] if isinstance(op, list) else op
        for part in item[1:] if isinstance(item, tuple) else ():
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if name and hasattr(part, "columns"):
                return str(name)
            if isinstance(part, str) and part in mine:
                return part
        return None

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), t.Base.metadata)
    assert mine == set(t.Base.metadata.tables)  # the API's users and keys too: every table is the registry's
    assert [op for op in diff if table_of(op) in mine] == []
    assert diff == []


def test_refused_write_is_one_line_error(engine: Engine) -> None:
    from calcitrack.registry.db import StorageError

    with pytest.raises(StorageError, match="refused") as info, session_scope(engine) as session:
        session.add_all([t.Patient(key="same"), t.Patient(key="same")])
    assert "\n" not in str(info.value)


def test_terse_restatement_is_one_lesion_with_one_assessment(engine: Engine, mini_kb: KnowledgeBase) -> None:
    # "4 mm calcification in segment VI ... Impression: calcification": the impression restates the lesion,
    # so the report holds one lesion, assessed once on its merged attributes
    mentions = [liver(4, fid="f1"), liver(None, fid="f2", site=None, section="impression")]
    analysis = make_analysis(mini_kb, "terse", "P11", "2025-01-01", mentions, policy="standard")
    assert [a.action.value for a in analysis.assessments] == ["no_followup"]
    result = _store(engine, analysis, mini_kb)
    assert result.follow_ups_created == []
    assert _open(engine) == []
    with session_scope(engine) as session:
        lesions = session.scalars(select(t.Lesion)).all()
        assert [(row.key, row.size_mm, row.site) for row in lesions] == [("l1", 4.0, "segment_VI")]
        mentions_rows = session.scalars(select(t.Finding).order_by(t.Finding.id)).all()
        assert {row.lesion_pk for row in mentions_rows} == {lesions[0].id}
        assert lesions[0].main_finding_pk == mentions_rows[0].id
        assert [row.lesion_pk for row in session.scalars(select(t.Assessment))] == [lesions[0].id]


def test_restated_lesion_gets_one_follow_up_and_links_as_one(engine: Engine, mini_kb: KnowledgeBase) -> None:
    first = make_analysis(
        mini_kb, "a1", "P12", "2025-01-01",
        [liver(6, fid="f1", pattern="coarse"), liver(None, fid="f2", site=None, section="impression")],
    )
    second = make_analysis(
        mini_kb, "a2", "P12", "2025-07-01",
        [liver(12, fid="f1", pattern="coarse"), liver(12, fid="f2", section="impression")],
    )
    created = _store(engine, first, mini_kb).follow_ups_created
    assert len(created) == 1
    result = _store(engine, second, mini_kb)
    assert result.escalated and len(result.follow_ups_created) == 1
    with session_scope(engine) as session:
        data = timeline(session, "P12")
    rows = [lesion for report in data["reports"] for lesion in report["lesions"]]
    assert [(r["key"], r["size_mm"], r["computed_change"]) for r in rows] == [
        ("l1", 6.0, None), ("l1", 12.0, "increased")
    ]
    assert rows[1]["prior_lesion_id"] == rows[0]["lesion_id"] and len(rows[1]["finding_ids"]) == 2
