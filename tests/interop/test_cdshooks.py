"""CDS Hooks 2.0 over the real app: discovery, patient-view cards checked against the spec, feedback."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from tests.interop.helpers import load

from calcitrack.app.ingest import record
from calcitrack.interop.cdshooks import SERVICE_ID, parse_card_uuid
from calcitrack.models import Report
from calcitrack.registry import queries
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope
from calcitrack.service import analyze
from calcitrack.settings import get_settings

PATIENT = "PX-CDS-1"
REPORTS = [
    Report(id="CDS-R1", patient_id=PATIENT, date=dt.date(2024, 1, 10), lang="en",
           text="Findings: There is an 11 mm coarse calcification in segment VI of the liver with surrounding "
                "enhancing soft tissue.\nImpression: 11 mm calcification in segment VI."),
    Report(id="CDS-R2", patient_id=PATIENT, date=dt.date(2026, 11, 1), lang="en",
           text="Findings: A 14 mm rim calcification in the spleen with an associated mass."),
]
URL = f"/cds-services/{SERVICE_ID}"


def sandbox_request(patient: str = PATIENT, **extra: Any) -> dict[str, Any]:
    """Shaped like the public CDS Hooks sandbox's patient-view call."""
    body = load("cds_patient_view_request.json")
    body["hookInstance"] = str(uuid.uuid4())
    body["context"]["patientId"] = body["prefetch"]["patient"]["id"] = patient
    body.update(extra)
    return body


def check_card(card: dict[str, Any]) -> None:
    """Required fields and value rules of the CDS Hooks 2.0 Card, Source and Link."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert isinstance(card["source"]["label"], str) and card["source"]["label"]
    uuid.UUID(card["uuid"])
    assert card["links"]
    for link in card["links"]:
        assert link["label"] and link["url"].startswith("http") and link["type"] in ("absolute", "smart")
    for reason in card.get("overrideReasons", []):
        assert reason["code"] and reason["system"] and reason["display"]
    assert "suggestions" not in card or card["selectionBehavior"] in ("at-most-one", "any")

    def no_empty(value: Any) -> None:
        assert value not in (None, "", [], {})
        if isinstance(value, dict):
            for v in value.values():
                no_empty(v)
        if isinstance(value, list):
            for v in value:
                no_empty(v)

    no_empty(card)


@pytest.fixture
def stored(engine: Engine) -> dict[str, Any]:
    with session_scope(engine) as session:
        for report in REPORTS:
            record(session, analyze(report))
    with session_scope(engine) as session:
        return {"worklist": queries.worklist(session, patient=PATIENT, limit=None)}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_discovery(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    [service] = response.json()["services"]
    assert service["hook"] == "patient-view" and service["id"] == SERVICE_ID and service["description"]
    assert service["prefetch"] == {"patient": "Patient/{{context.patientId}}"}


def test_patient_view_cards(client: TestClient, keys: dict[str, str], stored: dict[str, Any], engine: Engine,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCITRACK_PUBLIC_URL", "https://calc.example.org/")
    get_settings.cache_clear()
    response = client.post(URL, json=sandbox_request(), headers=auth(keys["service"]))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    worklist = stored["worklist"]
    assert worklist and len(cards) == len(worklist)  # every open follow-up, nothing tracked is unaddressed
    for card in cards:
        check_card(card)
        assert card["links"][0] == {"label": "Open the calcification timeline",
                                     "url": f"https://calc.example.org/ui/patients/{PATIENT}", "type": "absolute"}
    indicators = {"surveillance": "info", "workup": "warning", "urgent": "critical"}
    by_pk = {row["follow_up_id"]: row for row in worklist}
    for card in cards:
        entity, pk = parse_card_uuid(card["uuid"]) or ("?", 0)
        assert entity == "follow_up" and card["indicator"] == indicators[by_pk[pk]["action"]]
    overdue = [c for c in cards if c["summary"].startswith("Overdue")]
    assert overdue and cards[0] in overdue  # the 2024 report's follow-up is past due, listed first
    with session_scope(engine) as session:
        events = session.scalars(select(t.AuditEvent).where(t.AuditEvent.event == "cds_view")).all()
    assert [e.actor for e in events] == ["service"]


def test_unaddressed_finding_card(client: TestClient, keys: dict[str, str], stored: dict[str, Any],
                                  engine: Engine) -> None:
    row = stored["worklist"][0]
    with session_scope(engine) as session:  # a finding stored before follow-ups were tracked
        session.execute(delete(t.FollowUp).where(t.FollowUp.finding_pk == row["finding_id"]))
    cards = client.post(URL, json=sandbox_request(), headers=auth(keys["clinician"])).json()["cards"]
    unaddressed = [c for c in cards if parse_card_uuid(c["uuid"]) == ("finding", row["finding_id"])]
    assert len(unaddressed) == 1
    check_card(unaddressed[0])
    assert "no follow-up tracked" in unaddressed[0]["summary"]


def test_unknown_patient_and_prefetch_identifier(client: TestClient, keys: dict[str, str],
                                                 stored: dict[str, Any]) -> None:
    empty = client.post(URL, json=sandbox_request("smart-1288992"), headers=auth(keys["clinician"]))
    assert empty.status_code == 200 and empty.json() == {"cards": []}
    body = sandbox_request("smart-1288992")
    body["prefetch"]["patient"]["identifier"] = [{"system": "urn:example:mrn", "value": PATIENT}]
    mapped = client.post(URL, json=body, headers=auth(keys["clinician"])).json()["cards"]
    assert len(mapped) == len(stored["worklist"])
    nulled = client.post(URL, json=sandbox_request(PATIENT, prefetch={"patient": None}), headers=auth(keys["admin"]))
    assert nulled.status_code == 200 and nulled.json()["cards"]


def test_errors_and_auth(client: TestClient, keys: dict[str, str]) -> None:
    assert client.post(URL, json=sandbox_request()).status_code == 401
    assert client.post(URL, json=sandbox_request(), headers=auth("ctk_bogus")).status_code == 401
    assert client.post(URL, json=sandbox_request(), headers=auth(keys["coordinator"])).status_code == 403
    wrong = client.post(URL, json=sandbox_request(hook="order-select"), headers=auth(keys["clinician"]))
    assert wrong.status_code == 400 and "patient-view" in wrong.json()["detail"]
    body = sandbox_request()
    del body["context"]["patientId"]
    assert client.post(URL, json=body, headers=auth(keys["clinician"])).status_code == 422


def test_feedback_is_recorded_once_in_the_audit_trail(client: TestClient, keys: dict[str, str],
                                                      stored: dict[str, Any], engine: Engine) -> None:
    cards = client.post(URL, json=sandbox_request(), headers=auth(keys["clinician"])).json()["cards"]
    card = cards[0]
    feedback = {"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z",
        "overrideReason": {"reason": card["overrideReasons"][1], "userComment": "done at the other hospital"},
    }]}
    url = f"{URL}/feedback"
    first = client.post(url, json=feedback, headers=auth(keys["clinician"]))
    assert first.status_code == 200 and first.json() == {"recorded": 1, "duplicates": 0}
    again = client.post(url, json=feedback, headers=auth(keys["clinician"]))
    assert again.json() == {"recorded": 0, "duplicates": 1}
    _, pk = parse_card_uuid(card["uuid"]) or ("", 0)
    with session_scope(engine) as session:
        timeline = queries.timeline(session, PATIENT)
    [follow_up] = [f for f in timeline["follow_ups"] if f["follow_up_id"] == pk]
    [event] = [e for e in follow_up["events"] if e["event"] == "cds_feedback"]
    assert event["new"] == "overridden" and '"reason": "done-elsewhere"' in event["detail"]
    assert "other hospital" not in event["detail"]  # free-text comments are not stored
    bad = client.post(url, json={"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "now"}]},
                      headers=auth(keys["clinician"]))
    assert bad.status_code == 422


def _mention_rows(engine: Engine) -> tuple[int, int]:
    """(lead row, restatement row) of the lesion named twice in CDS-R1 (findings, then impression)."""
    with session_scope(engine) as session:
        lead, mention = session.execute(
            select(t.Finding.mention_of_pk, t.Finding.id).where(t.Finding.mention_of_pk.is_not(None))
        ).one()
    return lead, mention


def _copy_follow_up(session: Any, source: t.FollowUp, finding_pk: int, what: str) -> None:
    session.add(t.FollowUp(
        patient_pk=source.patient_pk, finding_pk=finding_pk, action=source.action, what=what,
        opened_on=source.opened_on, due_date=source.due_date, status="pending",
        escalation_role=source.escalation_role,
    ))


def test_one_follow_up_card_per_lesion_not_per_mention(client: TestClient, keys: dict[str, str],
                                                       stored: dict[str, Any], engine: Engine) -> None:
    lead, mention = _mention_rows(engine)
    worklist = stored["worklist"]
    with session_scope(engine) as session:  # as stored before lesions: a second follow-up on the restatement
        source = session.scalars(select(t.FollowUp).where(t.FollowUp.finding_pk == lead)).one()
        _copy_follow_up(session, source, mention, "Follow-up from the impression")
    cards = client.post(URL, json=sandbox_request(), headers=auth(keys["clinician"])).json()["cards"]
    assert len(cards) == len(worklist) == 2  # two lesions (liver, spleen): two cards, not three
    for card in cards:
        check_card(card)
    [liver] = [c for c in cards if "liver" in c["summary"]]
    assert parse_card_uuid(liver["uuid"]) == ("follow_up", source_pk(worklist, lead))
    assert "Also open for this lesion: Follow-up from the impression" in liver["detail"]


def source_pk(worklist: list[dict[str, Any]], finding_pk: int) -> int:
    [row] = [r for r in worklist if r["finding_id"] == finding_pk]
    return int(row["follow_up_id"])


def test_unaddressed_lesion_named_twice_is_one_card(client: TestClient, keys: dict[str, str],
                                                    stored: dict[str, Any], engine: Engine) -> None:
    lead, mention = _mention_rows(engine)
    with session_scope(engine) as session:
        source = session.scalars(select(t.FollowUp).where(t.FollowUp.finding_pk == lead)).one()
        kept = {c.name: getattr(source, c.name) for c in t.FollowUp.__table__.columns if c.name != "id"}
        session.delete(source)
        lead_verdict = session.scalars(select(t.Assessment).where(t.Assessment.finding_pk == lead)).first()
        assert lead_verdict is not None and lead_verdict.action == "workup"
        # as stored before lesions: the restatement assessed alone, with another action
        session.add(t.Assessment(finding_pk=mention, action="urgent", policy=lead_verdict.policy,
                                 kb_version=lead_verdict.kb_version, recomputed=False, data={}))
    cards = client.post(URL, json=sandbox_request(), headers=auth(keys["clinician"])).json()["cards"]
    unaddressed = [c for c in cards if parse_card_uuid(c["uuid"]) and parse_card_uuid(c["uuid"])[0] == "finding"]
    assert len(unaddressed) == 1  # one lesion, one card: not one for the restatement
    [card] = unaddressed
    check_card(card)
    assert parse_card_uuid(card["uuid"]) == ("finding", lead)
    assert card["indicator"] == "warning" and "assessed as work-up" in card["summary"]  # the lesion's assessment
    assert "named 2 times" in card["detail"] and "11 mm" in card["summary"]
    with session_scope(engine) as session:  # a follow-up on any mention tracks the lesion
        session.add(t.FollowUp(**{**kept, "finding_pk": mention}))
    cards = client.post(URL, json=sandbox_request(), headers=auth(keys["clinician"])).json()["cards"]
    assert not [c for c in cards if (parse_card_uuid(c["uuid"]) or ("",))[0] == "finding"]
    assert len(cards) == 2
