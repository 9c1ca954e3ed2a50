"""A French report gives French CDS Hooks cards and French FHIR display texts (issue 17, "French is half
done"): every text a clinician reads in the EHR follows the report's language, and no enum code shows."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from calcitrack.app.ingest import record
from calcitrack.interop.cdshooks import SERVICE_ID
from calcitrack.interop.fhir_out import analysis_to_bundle_dict
from calcitrack.kb import get_kb
from calcitrack.models import Report
from calcitrack.registry.db import session_scope
from calcitrack.service import analyze

PATIENT = "PX-FR-1"
FRENCH = [
    Report(id="FR-R1", patient_id=PATIENT, date=dt.date(2024, 1, 10), lang="fr", modality="CT",
           text="Foie : calcification grossière de 11 mm du segment VI, avec une masse tissulaire rehaussée au "
                "contact.\nConclusion : calcification de 11 mm du segment VI."),
    Report(id="FR-R2", patient_id=PATIENT, date=dt.date(2026, 11, 1), lang="fr",
           text="Tissus mous : calcifications périarticulaires de la hanche droite, aspect de calcinose tumorale."),
]
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+")
QUOTED = re.compile(r"«[^»]*»")
ENGLISH_DISPLAY = re.compile(
    r"\b(?:Overdue|Open|follow-up|due|status|What|From report|Responsible|assessed|tracked|Calcification of|"
    r"Evidence|mention\(s\) in the report|Imaging|When|report|Follow-up proposed|characters|pattern|count|"
    r"interval change|undated|timeline|registry|Already|clinician|indicated|action:)\b"
)


def english_in(text: str) -> list[str]:
    """English display words and snake_case codes in ``text`` (quoted report evidence aside)."""
    text = QUOTED.sub(" ", text)
    return [*ENGLISH_DISPLAY.findall(text), *SNAKE.findall(text)]


def display_texts(value: Any, key: str = "") -> Iterator[str]:
    """Every human-readable string of a FHIR resource or CDS card (not system URIs, codes or ids)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in ("system", "code", "reference", "url", "uuid", "fullUrl", "id", "value", "type",
                        "resourceType", "status", "intent", "priority", "indicator"):
                if name == "code" and isinstance(item, dict):
                    yield from display_texts(item, name)
                continue
            yield from display_texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from display_texts(item, key)
    elif isinstance(value, str):
        yield value


def test_french_report_gives_a_french_fhir_bundle() -> None:
    analysis = analyze(FRENCH[0])
    assert analysis.report.lang == "fr" and analysis.assessments
    bundle = analysis_to_bundle_dict(analysis)
    texts = [text for entry in bundle["entry"] for text in display_texts(entry["resource"])]
    assert texts
    found = {text: english_in(text) for text in texts if english_in(text)}
    assert not found, found
    observation = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    assert observation["bodySite"]["text"] == "foie, segment VI"
    assert observation["category"][0]["coding"][0]["display"] == "Imagerie"
    assert observation["interpretation"][0]["text"].startswith("Conduite calcitrack : ")
    plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan")
    assert plan["title"] == "Suivi de calcification"


def test_english_report_keeps_english_fhir_texts() -> None:
    analysis = analyze(FRENCH[0].model_copy(update={"lang": "en", "text": "Liver: 11 mm coarse calcification in "
                                                    "segment VI with an enhancing soft-tissue mass."}))
    observation = next(e["resource"] for e in analysis_to_bundle_dict(analysis)["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    assert observation["bodySite"]["text"] == "liver, segment VI"
    assert observation["category"][0]["coding"][0]["display"] == "Imaging"


@pytest.fixture
def french_patient(engine: Engine) -> str:
    with session_scope(engine) as session:
        for report in FRENCH:
            record(session, analyze(report))
    return PATIENT


def test_french_report_gives_french_cds_cards(client: TestClient, keys: dict[str, str], french_patient: str) -> None:
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": {"patientId": french_patient}}
    response = client.post(f"/cds-services/{SERVICE_ID}", json=body,
                           headers={"Authorization": f"Bearer {keys['service']}"})
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards
    for card in cards:
        texts = list(display_texts(card))
        found = {text: english_in(text) for text in texts if english_in(text)}
        assert not found, found
        assert card["links"][0]["label"] == "Ouvrir la chronologie des calcifications"
        assert {r["display"] for r in card["overrideReasons"]} >= {"Déjà réalisé ailleurs"}
    summaries = " ".join(card["summary"] for card in cards)
    assert "foie, segment VI" in summaries or "hanche" in summaries
    assert re.search(r"Suivi de calcification (en retard|ouvert)|évaluée", summaries)


def test_every_display_key_has_both_languages() -> None:
    texts = get_kb().texts
    keys = [k for k in texts["en"] if k.startswith(("fhir.", "cds.", "action_short.", "followup.status."))]
    assert keys and all(k in texts["fr"] for k in keys)
