"""Lesions, not mentions (schema 2.0) in the web UI: the analyse page shows one block per lesion with its
mentions and the report summary; the timeline shows one row per lesion per report, chained across reports.

Timeline data is built by ingesting reports through calcitrack.registry, as the registry would hold it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import csrf_of

from calcitrack.app.ingest import ingest_items, read_items

Login = Callable[[str], TestClient]

RESTATED = {
    "en": "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm.\n"
    "IMPRESSION: Tiny hepatic calcifications.",
    "fr": "FOIE : Deux calcifications punctiformes du lobe droit, la plus grande de 3 mm.\n"
    "CONCLUSION : Petites calcifications hépatiques.",
}
LATER = {
    "en": "LIVER: Two punctate calcifications in the right lobe, the largest 3 mm, unchanged.\n"
    "IMPRESSION: Stable tiny hepatic calcifications.",
    "fr": "FOIE : Deux calcifications punctiformes du lobe droit, la plus grande de 3 mm, inchangées.\n"
    "CONCLUSION : Petites calcifications hépatiques stables.",
}


def blocks(html: str) -> list[str]:
    return re.findall(r'<article class="card finding-card lesion-card[^"]*" id="lesion-(l\d+)"', html)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_restated_lesion_is_one_block_with_both_mentions(login: Login, lang: str) -> None:
    client = login("clinician")
    token = csrf_of(client.get(f"/ui/analyse?lang={lang}").text)
    response = client.post("/ui/analyse", data={"csrf": token, "text": RESTATED[lang]})
    assert response.status_code == 200
    html = response.text
    assert blocks(html) == ["l1"]
    marks = re.findall(r'<mark class="finding act-([a-z_]+)[^"]*" id="mention-(f\d)" data-finding="f\d" '
                       r'data-lesion="(l\d)"', html)
    assert marks == [("no_followup", "f1", "l1"), ("no_followup", "f2", "l1")]  # one lesion, one colour
    card = html[html.index('id="lesion-l1"'):]
    card = card[:card.index("</article>")]
    assert card.count('class="mention"') == 2
    assert 'href="#mention-f1"' in card and 'href="#mention-f2"' in card
    assert "(2 / multiple)" in card  # the mentions' disagreement on the count stays visible
    summary = re.search(r'id="report-summary" data-action="([a-z_]*)"', html)
    assert summary and summary.group(1) == "no_followup"
    expected = "No follow-up needed: 2 punctate" if lang == "en" else "Pas de suivi nécessaire"
    assert re.search(r'<span class="headline">' + re.escape(expected), html)
    assert html.count('id="radiologist-sentence"') == 1
    sentence = re.search(r'<p id="radiologist-sentence"[^>]*>([^<]*)</p>', html)
    assert sentence and sentence.group(1).count("3 mm") == 1  # one sentence for the lesion


def test_two_lesions_are_two_blocks_and_the_summary_names_the_highest(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    text = ("Liver: 4 mm punctate calcification in segment VII. Another 35 mm coarse calcification in segment II.\n"
            "Impression: small calcification in segment VII.")
    html = client.post("/ui/analyse", data={"csrf": token, "text": text, "lang": "en"}).text
    assert blocks(html) == ["l1", "l2"]
    summary = re.search(r'id="report-summary" data-action="([a-z_]*)"', html)
    assert summary and summary.group(1) == "workup"
    assert 'href="#lesion-l2"' in html


def _ingest(engine: Engine, tmp_path: Path, patient: str, lang: str) -> None:
    path = tmp_path / f"{patient}.jsonl"
    rows = [
        {"id": f"{patient}-1", "patient_id": patient, "date": "2025-03-01", "modality": "US", "lang": lang,
         "text": RESTATED[lang]},
        {"id": f"{patient}-2", "patient_id": patient, "date": "2026-03-01", "modality": "US", "lang": lang,
         "text": LATER[lang]},
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    summary = ingest_items(engine, read_items(str(path)), actor="test", source="test")
    assert not summary.errors, summary.errors


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_timeline_has_one_row_per_lesion_per_report(
    login: Login, engine: Engine, tmp_path: Path, lang: str
) -> None:
    patient = f"LES-{lang.upper()}"
    _ingest(engine, tmp_path, patient, lang)
    client = login("clinician")
    html = client.get(f"/ui/patients/{patient}?lang={lang}").text
    rows = re.findall(r'<li class="lesion-row" data-chain="([A-Z]\d*)"', html)
    assert rows == ["A", "A"]  # one lesion named twice per report, linked across the two reports
    items = html.split('<li class="card report-item"')[1:]
    assert [re.search(r'id="report-([^"]+)"', item).group(1) for item in items] == [  # type: ignore[union-attr]
        f"{patient}-1", f"{patient}-2"
    ]
    assert [item.count('class="lesion-row"') for item in items] == [1, 1]
    assert len(re.findall(r'class="small mentions">2 ', html)) == 2
    assert html.count('<polyline class="series"') == 1  # one series: one lesion chain
    assert html.count("<circle") == 2


def test_demo_patient_timeline_rows_are_lesions(login: Login) -> None:
    """DEMO-001: one calcification in segment VI named in findings and impression of three reports."""
    client = login("clinician")
    html = client.get("/ui/patients/DEMO-001").text
    rows = re.findall(r'<li class="lesion-row" data-chain="([A-Z]\d*)"', html)
    assert rows == ["A", "A", "A"]
    assert html.count('<polyline class="series"') == 1
    assert "_same" not in html
