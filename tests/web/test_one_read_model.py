"""The API, the web UI and CDS Hooks show the same worklist and timeline, built once by the use cases of
:mod:`calcitrack.app` (issue 16): the builders are spied on, every face goes through them, and what each
face returns is that model (JSON, CSV rows, HTML, cards)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from calcitrack.app import cds, timeline, worklist
from calcitrack.app.timeline import Timeline
from calcitrack.app.worklist import Worklist
from calcitrack.interop.cdshooks import SERVICE_ID
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope
from calcitrack.web.worklist import notices_text

PATIENT = "DEMO-001"


def _csv_value(value: Any) -> str:
    if isinstance(value, list):  # the notices: one cell (calcitrack.web.worklist.notices_text)
        return notices_text(value)
    return "" if value is None else str(value)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Every worklist and timeline model any face builds, in order."""
    seen: dict[str, list[Any]] = {"worklist": [], "timeline": []}

    def spy(kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            seen[kind].append(result)
            return result
        return wrapper

    build_worklist, build_timeline = worklist.build_worklist, timeline.build_timeline
    for module in (worklist, cds):
        monkeypatch.setattr(module, "build_worklist", spy("worklist", build_worklist))
    for module in (timeline, cds):
        monkeypatch.setattr(module, "build_timeline", spy("timeline", build_timeline))
    return seen


def test_api_web_and_cds_show_one_worklist(login: Callable[[str], TestClient], keys: dict[str, str],
                                           built: dict[str, list[Any]]) -> None:
    client = login("clinician")
    api = client.get("/api/v1/worklist", headers={"X-API-Key": keys["clinician"]})
    assert api.status_code == 200, api.text
    body = api.json()
    [api_model] = built["worklist"]  # built once per request
    assert isinstance(api_model, Worklist) and body == api_model.model_dump(mode="json")
    assert body["schema_version"] and body["count"] == len(body["items"]) > 0

    page = client.get("/ui/worklist.csv?view=open")
    assert page.status_code == 200
    _, web_model = built["worklist"]
    assert [i for i in web_model.items if i.status in ("pending", "notified", "scheduled", "overdue")] == \
        api_model.items  # the web loads closed ones too, for its "closed" view
    rows = list(csv.DictReader(io.StringIO(page.text)))
    assert rows == [{k: _csv_value(v) for k, v in item.items()} for item in body["items"]]

    cards = client.post(f"/cds-services/{SERVICE_ID}", headers={"X-API-Key": keys["clinician"]}, json={
        "hook": "patient-view", "hookInstance": "one-model", "context": {"patientId": PATIENT}}).json()["cards"]
    _, _, cds_model = built["worklist"]
    mine = [item for item in body["items"] if item["patient_id"] == PATIENT]
    assert cds_model.model_dump(mode="json")["items"] == mine
    by_id = {item["follow_up_id"]: item for item in mine}
    follow_up_cards = [(pk, card) for card in cards
                       for entity, pk in [cds.parse_card_uuid(card["uuid"]) or ("", 0)] if entity == "follow_up"]
    lesions = {item["lesion_id"] for item in mine}
    assert mine and len(follow_up_cards) == len(lesions)  # one card per lesion with open follow-ups
    for pk, card in follow_up_cards:  # the card's follow-up is on the API's worklist, overdue alike
        assert card["summary"].startswith("Overdue" if by_id[pk]["overdue"] else "Open")


def test_api_web_and_cds_show_one_timeline(login: Callable[[str], TestClient], keys: dict[str, str],
                                           built: dict[str, list[Any]], engine: Engine) -> None:
    client = login("clinician")
    api = client.get(f"/api/v1/patients/{PATIENT}/timeline", headers={"X-API-Key": keys["clinician"]})
    assert api.status_code == 200, api.text
    body = api.json()
    page = client.get(f"/ui/patients/{PATIENT}")
    assert page.status_code == 200
    client.post(f"/cds-services/{SERVICE_ID}", headers={"X-API-Key": keys["clinician"]}, json={
        "hook": "patient-view", "hookInstance": "one-model", "context": {"patientId": PATIENT}})
    api_model, web_model, cds_model = built["timeline"]
    assert all(isinstance(m, Timeline) for m in built["timeline"])
    assert body == api_model.model_dump(mode="json") == web_model.model_dump(mode="json") \
        == cds_model.model_dump(mode="json")
    assert body["schema_version"] and body["reports"] and any(r["lesions"] for r in body["reports"])
    for report in body["reports"]:
        assert f'id="report-{report["report_id"]}"' in page.text
        for lesion in report["lesions"]:
            assert f'data-lesion="{lesion["key"]}"' in page.text
    for follow_up in body["follow_ups"]:
        assert f'id="followup-{follow_up["follow_up_id"]}"' in page.text

    with session_scope(engine) as session:  # each face audited its read once, with its own source
        events = session.scalars(select(t.AuditEvent).where(t.AuditEvent.entity == "patient")).all()
    sources = sorted((e.event, e.source.split("@")[0], e.detail) for e in events)
    assert [s[:2] for s in sources] == [("cds_view", "cds"), ("read", "api"), ("read", "ui")]
