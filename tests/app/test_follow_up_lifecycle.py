"""The follow-up life cycle as coordinators meet it (issue 17), on SQLite and PostgreSQL:

- overdue is judged at read time: the worklist filter, the plain worklist, metrics, the timeline, the web
  worklist's counts and CDS cards agree with no sweep; the sweep (cron or ``serve``'s schedule) escalates
  each follow-up once, even when two runs race;
- fulfilment matches the intent: an exam of the wrong modality is linked as "exam received, does not
  fulfil" and leaves the follow-up open; the right one (or better, on the ladder) closes it;
- amending an old report never resurrects closed work and never splits a lesion;
- one liver mass gives one follow-up, and no follow-up text is a raw code.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sqlalchemy import Engine, select
from tests.registry.conftest import liver, make_analysis

from calcitrack.app import cds
from calcitrack.app.access import Reader
from calcitrack.app.auth import Principal
from calcitrack.app.follow_ups import change_follow_up, grace_days, run_sweep
from calcitrack.app.ingest import record
from calcitrack.app.timeline import build_timeline
from calcitrack.app.worklist import build_worklist
from calcitrack.kb import KnowledgeBase
from calcitrack.models import Action, Analysis, Modality, Recommendation, RecommendationKind
from calcitrack.registry import queries, session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.store import RecordResult
from calcitrack.web.worklist import counts

READER = Reader(Principal(name="coordinator", role="coordinator", key_prefix="k"), channel="ui", client="10.0.0.1")
TODAY = dt.date.today()


def _store(engine: Engine, analysis: Analysis, kb: KnowledgeBase, **kwargs: object) -> RecordResult:
    with session_scope(engine) as session:
        return record(session, analysis, kb=kb, **kwargs)  # type: ignore[arg-type]


def _with(analysis: Analysis, *, modality: Modality | None = None, action: Action | None = None,
          recommendations: list[Recommendation] | None = None, lang: str | None = None) -> Analysis:
    """The analysis as another modality or language, or with the radiologist's own recommendation."""
    report = analysis.report.model_copy(update={
        "modality": modality or analysis.report.modality, "lang": lang or analysis.report.lang,
    })
    assessments = [
        a.model_copy(update={"action": action or a.action,
                             "recommendations": a.recommendations if recommendations is None else recommendations})
        for a in analysis.assessments
    ]
    return analysis.model_copy(update={"report": report, "assessments": assessments})


MRI = [Recommendation(kind=RecommendationKind.imaging, what="Prompt liver MRI.", id="prompt_mri")]
US = [Recommendation(kind=RecommendationKind.imaging, what="Liver ultrasound in 6 months.", interval="P6M",
                     id="seed_us_surveillance")]


def _follow_ups(engine: Engine) -> list[t.FollowUp]:
    with session_scope(engine) as session:
        rows = list(session.scalars(select(t.FollowUp).order_by(t.FollowUp.id)))
        session.expunge_all()
    return rows


# --- overdue at read time, and the sweep ---------------------------------------------------------------


def _past_due(engine: Engine, kb: KnowledgeBase) -> int:
    """P1: one liver calcification under surveillance, due 2025-07 (long past), never swept."""
    analysis = _with(make_analysis(kb, "r1", "P1", "2025-01-10", [liver(6, pattern="coarse")]),
                     action=Action.surveillance, recommendations=US)
    [created] = _store(engine, analysis, kb).follow_ups_created
    return created


def test_overdue_agrees_everywhere_without_a_sweep(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _past_due(engine, mini_kb)
    with session_scope(engine) as session:
        overdue = build_worklist(session, statuses=["overdue"])
        plain = build_worklist(session)
        pending = build_worklist(session, statuses=["pending"])
        metrics = queries.metrics(session)
        story = build_timeline(session, "P1")
        every = build_worklist(session, statuses=list(t.STATUSES), limit=5000)
        cards = cds.patient_cards(session, READER, ["P1"], "https://ehr")
        stored = session.get(t.FollowUp, fid)
        assert stored is not None and stored.status == "pending"  # nothing was written: judged on read
    assert [i.follow_up_id for i in overdue.items] == [fid]
    assert [(i.status, i.stored_status, i.overdue) for i in plain.items] == [("overdue", "pending", True)]
    assert pending.items == []
    assert metrics["overdue"] == 1 and metrics["by_action"]["surveillance"]["overdue"] == 1
    assert [(f.status, f.overdue) for f in story.follow_ups] == [("overdue", True)]
    web_rows = [i.model_dump(mode="json") for i in every.items]
    assert counts(web_rows, TODAY)["overdue"] == 1
    assert len(cards) == 1 and cards[0]["summary"].startswith("Overdue")
    with session_scope(engine) as session:  # before its due date it is pending everywhere
        early = build_worklist(session, statuses=["overdue"], as_of=dt.date(2025, 2, 1))
        assert early.items == [] and queries.metrics(session, dt.date(2025, 2, 1))["overdue"] == 0


def test_the_sweep_escalates_once_even_when_two_runs_race(engine: Engine, mini_kb: KnowledgeBase) -> None:
    fid = _past_due(engine, mini_kb)
    assert grace_days(mini_kb)["surveillance"] == mini_kb.constants.reminder_grace_days.surveillance == 30
    errors: list[BaseException] = []
    runs = []

    def sweep() -> None:
        try:
            runs.append(run_sweep(engine, actor="cron", source="test", notify=False, kb=mini_kb).ladder)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r.escalated) for r in runs) == [0, 1] and sorted(len(r.overdue) for r in runs) == [0, 1]
    again = run_sweep(engine, actor="cron", source="test", notify=False, kb=mini_kb).ladder
    assert again.overdue == [] and again.escalated == []
    with session_scope(engine) as session:
        events = [e.event for e in session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.entity == "follow_up", t.AuditEvent.entity_pk == fid))]
        row = session.get(t.FollowUp, fid)
        assert row is not None and row.status == "overdue" and row.escalated_at is not None
    assert events.count("escalated") == 1 and events.count("status") == 1


def test_serve_runs_the_sweep_on_a_schedule(db_url: str, engine: Engine, mini_kb: KnowledgeBase) -> None:
    import time

    from fastapi.testclient import TestClient

    from calcitrack.api.app import create_app
    from calcitrack.api.settings import Settings

    fid = _past_due(engine, mini_kb)
    app = create_app(Settings(database_url=db_url, warmup=False, sweep_interval_seconds=3600))
    with TestClient(app):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [row] = _follow_ups(engine)
            if row.escalated_at is not None:
                break
            time.sleep(0.2)
    assert row.id == fid and row.status == "overdue" and row.escalated_at is not None
    with session_scope(engine) as session:
        sources = {e.source for e in session.scalars(select(t.AuditEvent).where(t.AuditEvent.event == "escalated"))}
    assert len(sources) == 1 and next(iter(sources)).startswith("serve:sweep@")


# --- fulfilment matches the intent ---------------------------------------------------------------------


def test_an_ultrasound_does_not_fulfil_a_recommended_mri(engine: Engine, mini_kb: KnowledgeBase) -> None:
    first = _with(make_analysis(mini_kb, "r1", "P2", "2025-01-10", [liver(8, pattern="coarse")]),
                  modality=Modality.CT, action=Action.workup, recommendations=MRI)
    [mri] = _store(engine, first, mini_kb).follow_ups_created
    stable = {"pattern": "coarse", "interval_change": "stable"}  # as computed: no re-assessment
    routine = _with(make_analysis(mini_kb, "r2", "P2", "2025-02-01", [liver(8, **stable)]),
                    modality=Modality.US, action=Action.workup, recommendations=MRI)
    second = _store(engine, routine, mini_kb)
    assert second.follow_ups_closed == [] and second.follow_ups_created == []  # still owed, not doubled
    with session_scope(engine) as session:
        [item] = build_worklist(session, patient="P2").items
        story = build_timeline(session, "P2")
    assert item.follow_up_id == mri and item.stored_status == "pending"
    assert (item.exam_received_report_id, item.exam_received_modality, item.exam_received_on) == (
        "r2", "US", dt.date(2025, 2, 1))
    assert story.follow_ups[0].exam_received_report_id == "r2"
    assert len({lesion.lesion_id for r in story.reports for lesion in r.lesions}) == 2  # one per report...
    assert story.reports[1].lesions[0].prior_lesion_id == story.reports[0].lesions[0].lesion_id  # ...one chain
    mr = _with(make_analysis(mini_kb, "r3", "P2", "2025-03-01", [liver(8, **stable)]),
               modality=Modality.MR, action=Action.surveillance, recommendations=US)
    third = _store(engine, mr, mini_kb)
    assert third.follow_ups_closed == [mri]
    rows = _follow_ups(engine)
    assert [(r.id, r.status, r.closed_reason) for r in rows if r.id == mri] == [(mri, "done", "fulfilled by report r3")]
    [new] = [r for r in rows if r.status == "pending"]
    assert new.accepted_modalities == "US,CT,MR"


def test_ct_fulfils_ultrasound_surveillance_but_an_unknown_modality_does_not(
    engine: Engine, mini_kb: KnowledgeBase
) -> None:
    first = _with(make_analysis(mini_kb, "r1", "P3", "2025-01-10", [liver(6, pattern="coarse")]),
                  action=Action.surveillance, recommendations=US)
    [surveillance] = _store(engine, first, mini_kb).follow_ups_created
    stable = {"pattern": "coarse", "interval_change": "stable"}  # as computed: no re-assessment
    unknown = make_analysis(mini_kb, "r2", "P3", "2025-03-01", [liver(6, **stable)])
    unknown = _with(unknown.model_copy(update={"report": unknown.report.model_copy(update={"modality": None})}),
                    action=Action.surveillance, recommendations=US)
    assert _store(engine, unknown, mini_kb).follow_ups_closed == []
    ct = _with(make_analysis(mini_kb, "r3", "P3", "2025-06-01", [liver(6, **stable)]),
               modality=Modality.CT, action=Action.surveillance, recommendations=US)
    assert _store(engine, ct, mini_kb).follow_ups_closed == [surveillance]


# --- amending never resurrects closed work, never splits a lesion --------------------------------------


def test_amending_an_old_report_keeps_closed_work_closed_and_one_lesion(
    engine: Engine, mini_kb: KnowledgeBase
) -> None:
    r1 = make_analysis(mini_kb, "r1", "P4", "2025-01-10", [liver(8, pattern="coarse")])
    r2 = make_analysis(mini_kb, "r2", "P4", "2025-07-15", [liver(14, pattern="coarse")])
    [surveillance] = _store(engine, r1, mini_kb).follow_ups_created
    second = _store(engine, r2, mini_kb)
    [workup] = second.follow_ups_created
    assert second.escalated and second.follow_ups_closed == [surveillance]
    with session_scope(engine) as session:
        change_follow_up(session, workup, status="done", actor="coordinator", source="test")
    before = {r.id: (r.status, r.due_date) for r in _follow_ups(engine)}
    amended = make_analysis(mini_kb, "r1", "P4", "2025-01-10", [liver(9, pattern="coarse")])
    result = _store(engine, amended, mini_kb, amend=True)
    assert result.status == "amended" and result.follow_ups_created == [] and result.follow_ups_closed == []
    after = {r.id: (r.status, r.due_date) for r in _follow_ups(engine)}
    assert after == before  # nothing reopened, nothing new (no pending follow-up due in the past)
    with session_scope(engine) as session:
        assert build_worklist(session, patient="P4").items == []
        story = build_timeline(session, "P4")
    current = [r for r in story.reports if r.current]
    assert [(r.report_id, r.version) for r in current] == [("r1", 2), ("r2", 1)]
    [old_lesion], [new_lesion] = current[0].lesions, current[1].lesions
    assert new_lesion.prior_lesion_id == old_lesion.lesion_id  # one lesion over time, not two
    assert old_lesion.size_mm == 9


def test_amending_a_report_with_open_work_replans_it(engine: Engine, mini_kb: KnowledgeBase) -> None:
    r1 = make_analysis(mini_kb, "r1", "P5", "2025-01-10", [liver(8, pattern="coarse")])
    [first] = _store(engine, r1, mini_kb).follow_ups_created
    amended = make_analysis(mini_kb, "r1", "P5", "2025-01-10", [liver(9, pattern="coarse")])
    result = _store(engine, amended, mini_kb, amend=True)
    assert result.follow_ups_closed == [first] and len(result.follow_ups_created) == 1
    assert [r.status for r in _follow_ups(engine)] == ["cancelled", "pending"]


# --- one mass, one follow-up; texts from the KB ----------------------------------------------------------


def test_one_liver_mass_named_twice_gets_one_follow_up(engine: Engine, mini_kb: KnowledgeBase) -> None:
    analysis = make_analysis(
        mini_kb, "r1", "P6", "2025-01-10",
        [liver(40, fid="f1", pattern="coarse", associated_mass=True),
         liver(None, fid="f2", site="segment_II", pattern="coarse", associated_mass=True)],
    )
    # the grouping gave two lesions; make the second one site-less (the impression's "calcified mass")
    first, second = analysis.lesions
    twin = second.model_copy(update={"site": None})
    urgent = [Recommendation(kind=RecommendationKind.referral, what="Contact the clinician within days.",
                             id="oncology_referral")]
    analysis = _with(analysis.model_copy(update={"lesions": [first, twin]}), action=Action.urgent,
                     recommendations=urgent)
    result = _store(engine, analysis, mini_kb)
    assert len(result.follow_ups_created) == 1
    [row] = _follow_ups(engine)
    assert row.action == "urgent" and row.what == "Contact the clinician within days."
    with session_scope(engine) as session:
        verdict = session.get(t.Assessment, row.assessment_pk)
        assert verdict is not None and verdict.lesion_pk == row.lesion_pk and verdict.action == "urgent"


def _escalated_text(engine: Engine, kb: KnowledgeBase, lang: str) -> str:
    patient = f"P7{lang}"
    old = _with(make_analysis(kb, "r1" + lang, patient, "2025-01-10", [liver(8, pattern="coarse")]),
                action=Action.surveillance, recommendations=US, lang=lang)
    _store(engine, old, kb)
    new = _with(make_analysis(kb, "r2" + lang, patient, "2025-07-10",
                              [liver(8, pattern="coarse", associated_mass=True)]),
                action=Action.surveillance, recommendations=US, lang=lang)
    [created] = _store(engine, new, kb).follow_ups_created
    [row] = [r for r in _follow_ups(engine) if r.id == created]
    assert row.origin == "registry_escalation" and row.accepted_modalities == "CT,MR"
    return row.what


def test_registry_work_up_text_comes_from_the_kb_in_the_report_language(
    engine: Engine, mini_kb: KnowledgeBase
) -> None:
    english = _escalated_text(engine, mini_kb, "en")
    french = _escalated_text(engine, mini_kb, "fr")
    assert english == "Work-up: new associated mass"
    assert french == "Bilan complémentaire : nouvelle masse associée"
    for text in (english, french):
        assert "associated_mass" not in text and "_" not in text


def test_every_recommendation_the_fulfilment_table_names_exists(mini_kb: KnowledgeBase) -> None:
    from calcitrack.kb import get_kb

    kb = get_kb()
    known = {rec.id for rule in kb.rules for rec in rule.recommendations}
    table = kb.constants.fulfilment
    assert set(table.recommendations) <= known
    assert set(table.features) <= set(kb.constants.escalation.new_features)
    accepted: Callable[[list[Modality]], list[Modality]] = table.accepted
    assert accepted([Modality.US]) == [Modality.US, Modality.CT, Modality.MR]
    assert accepted([Modality.MR]) == [Modality.MR]


# --- the CLI reads the same models and audits like the API and the web UI -----------------------------


def test_cli_worklist_shows_overdue_and_audits_its_reads(db_url: str, engine: Engine, mini_kb: KnowledgeBase) -> None:
    import json

    from typer.testing import CliRunner

    from calcitrack.cli import app as app_module

    if "worklist" not in {c.name for c in app_module.app.registered_commands}:
        app_module._register_all()
    app = app_module.app
    fid = _past_due(engine, mini_kb)
    runner = CliRunner()
    overdue = runner.invoke(app, ["worklist", "--status", "overdue", "--format", "json", "--by", "coord",
                                  "--database", db_url])
    assert overdue.exit_code == 0, overdue.output
    [row] = json.loads(overdue.output)
    assert (row["follow_up_id"], row["status"], row["stored_status"]) == (fid, "overdue", "pending")
    pending = runner.invoke(app, ["worklist", "--status", "pending", "--format", "json", "--database", db_url])
    assert json.loads(pending.output) == []  # no patient shown: no read recorded
    story = runner.invoke(app, ["timeline", "P1", "--format", "json", "--by", "coord", "--database", db_url])
    assert story.exit_code == 0 and json.loads(story.output)["follow_ups"][0]["status"] == "overdue"
    with session_scope(engine) as session:
        reads = [(e.actor, e.event, e.detail, e.source.split("@")[0]) for e in session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.entity == "patient").order_by(t.AuditEvent.id))]
    assert reads == [("coord", "read", "cli worklist (role cli)", "cli"),
                     ("coord", "read", "cli timeline (role cli)", "cli")]
