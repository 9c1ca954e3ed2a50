"""The registry stores what it is told: decisions made elsewhere (links, computed change, assessments,
follow-ups, closures) become rows and audit events in one transaction; it decides nothing itself."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, select

import calcitrack.registry
from calcitrack.lesions import as_lesion
from calcitrack.models import Action, Analysis, Assessment, Evidence, Finding, Lesion, PatientContext, Report
from calcitrack.registry import session_scope, store
from calcitrack.registry import tables as t

DAY = dt.date(2025, 1, 10)


def _analysis(report_id: str, size: float, day: dt.date) -> tuple[Analysis, Lesion]:
    finding = Finding.model_validate({
        "id": "f1", "organ": "liver", "site": "segment_VI", "size_mm": size, "lang": "en",
        "evidence": Evidence(start=0, end=13, text="calcification"),
    })
    lesion = as_lesion(finding)
    report = Report(id=report_id, patient_id="P1", date=day, lang="en", text="calcification")
    return Analysis(report=report, context=PatientContext(), findings=[finding], lesions=[lesion]), lesion


def _follow_up(action: str, day: dt.date) -> store.NewFollowUp:
    return store.NewFollowUp(
        action=action, what="Ultrasound", interval="P6M", duration=None, surveillance_start=day, opened_on=day,
        due_date=day + dt.timedelta(days=180), origin="assessment", responsible=None, escalation_role="coordinator",
    )


def test_write_stores_the_decisions_as_given(engine: Engine) -> None:
    first, lesion = _analysis("r1", 6, DAY)
    assessment = Assessment(finding_id="f1", lesion_id="l1", action=Action.surveillance, policy="seed")
    with session_scope(engine) as session:
        opened = store.open_report(session, first, actor="test", source="test", amend=False)
        assert isinstance(opened, store.OpenedReport)
        assert store.earlier_lesions(session, opened) == []  # a new patient has no history
        decision = store.LesionDecision(lesion.id, assessments=[(assessment, False)],
                                        follow_up=_follow_up("surveillance", DAY))
        result = store.write(session, opened, [lesion], [decision])
    assert result.status == "stored" and len(result.follow_ups_created) == 1

    later = DAY + dt.timedelta(days=200)
    second, lesion2 = _analysis("r2", 6, later)
    with session_scope(engine) as session:
        opened = store.open_report(session, second, actor="test", source="test", amend=False)
        assert isinstance(opened, store.OpenedReport)
        earlier = store.earlier_lesions(session, opened)
        assert [row.size_mm for row in earlier] == [6.0]
        open_rows = store.open_follow_ups(session, [earlier[0].id])[earlier[0].id]
        decision = store.LesionDecision(
            lesion2.id, prior_pk=earlier[0].id, computed_change="stable",
            assessments=[(assessment, False)], follow_up=_follow_up("workup", later),
            closures=[store.Closure(open_rows[0], "cancelled", "superseded: escalated", superseded=True)],
        )
        result = store.write(session, opened, [lesion2], [decision])
    assert result.escalated and len(result.follow_ups_closed) == 1

    with session_scope(engine) as session:
        rows = session.scalars(select(t.Lesion).order_by(t.Lesion.id)).all()
        assert rows[1].prior_lesion_pk == rows[0].id and rows[1].computed_change == "stable"
        assert [m.computed_change for m in rows[1].mentions] == ["stable"]
        follow_ups = session.scalars(select(t.FollowUp).order_by(t.FollowUp.id)).all()
        assert [(f.action, f.status) for f in follow_ups] == [("surveillance", "cancelled"), ("workup", "pending")]
        assert follow_ups[0].superseded_by_pk == follow_ups[1].id
        events = session.scalars(select(t.AuditEvent.event).order_by(t.AuditEvent.id)).all()
        assert events == ["ingested", "created", "ingested", "created", "superseded"]

    with session_scope(engine) as session:  # the same report again: unchanged, nothing to decide
        again = store.open_report(session, second, actor="test", source="test", amend=False)
        assert isinstance(again, store.RecordResult) and again.status == "unchanged"


def test_the_registry_imports_no_engine_no_kb_and_no_use_case() -> None:
    forbidden = ("calcitrack.service", "calcitrack.app", "calcitrack.assess", "calcitrack.explain",
                 "calcitrack.kb", "calcitrack.nlp")
    package = Path(calcitrack.registry.__file__).parent
    offending = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            offending += [f"{path.name}: {name}" for name in names if name.startswith(forbidden)]
    assert offending == []
