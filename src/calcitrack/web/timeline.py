"""A patient's timeline: reports over time, one row per lesion per report, each lesion linked across
reports, a size chart with one series per linked lesion, and the follow-ups with their history.

Why rows are lesions, not mentions: a report names one calcification in its findings and again in its
impression; the registry stores the lesion (calcitrack.lesions grouped the mentions) and links it to the
same lesion in an earlier report (``prior_lesion_id``). Following those links gives one chain per
calcification, labelled with a letter, which is what a clinician wants to see ("lesion A: 6 -> 6 -> 11 mm").
The mentions stay counted on each row as the evidence. The data is the read model of
:func:`calcitrack.app.timeline.read_timeline` (the API's and CDS Hooks' too), read audit included.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from calcitrack.app.timeline import read_timeline
from calcitrack.errors import InputError
from calcitrack.registry.db import session_scope
from calcitrack.web.page import Page, get_page, guard, redirect, render
from calcitrack.web.svg_chart import Series, size_chart

router = APIRouter()


def _letter(counter: int) -> str:
    letters = string.ascii_uppercase
    return letters[counter % 26] + (str(counter // 26) if counter >= 26 else "")


def chain_labels(reports: list[dict[str, Any]]) -> dict[int, str]:
    """Lesion id (registry key) -> letter of its chain: a lesion inherits its prior's letter (the registry's
    link across reports, ``prior_lesion_id``); a lesion without a known prior starts a new letter."""
    labels: dict[int, str] = {}
    counter = 0
    for report in reports:
        for lesion in report["lesions"]:
            prior = lesion.get("prior_lesion_id")
            if prior is not None and prior in labels:
                labels[lesion["lesion_id"]] = labels[prior]
            else:
                labels[lesion["lesion_id"]] = _letter(counter)
                counter += 1
    return labels


def chart_series(reports: list[dict[str, Any]], labels: dict[int, str], word: str) -> list[Series]:
    """One series per lesion chain: its measured, affirmed sizes in current reports (one point a date)."""
    points: dict[str, dict[dt.date, float]] = {}
    for report in reports:
        if not report["date"] or not report.get("current", True):
            continue
        day = dt.date.fromisoformat(report["date"])
        for lesion in report["lesions"]:
            if lesion["negated"] or lesion["size_mm"] is None:
                continue
            chain = points.setdefault(labels[lesion["lesion_id"]], {})
            chain[day] = max(chain.get(day, 0.0), float(lesion["size_mm"]))  # two lesions of a chain one day
    return [Series(f"{word} {label}", sorted(pts.items())) for label, pts in sorted(points.items())]


def follow_up_labels(data: dict[str, Any], labels: dict[int, str]) -> dict[int, str]:
    """Follow-up id -> chain letter: by the follow-up's lesion, else by the lesion holding its finding."""
    by_finding = {fid: labels[lesion["lesion_id"]] for report in data["reports"] for lesion in report["lesions"]
                  for fid in lesion["finding_ids"]}
    result = {}
    for fu in data["follow_ups"]:
        label = labels.get(fu.get("lesion_id")) if fu.get("lesion_id") is not None else None
        result[fu["follow_up_id"]] = label or by_finding.get(fu["finding_id"], "?")
    return result


@router.get("/patients")
def find_patient(page: Annotated[Page, Depends(get_page)], id: str = "") -> Response:
    denied = guard(page, "timeline:read")
    if denied is not None:
        return denied
    if id.strip():
        from urllib.parse import quote

        return redirect(page, f"/ui/patients/{quote(id.strip()[:128], safe='')}")
    return render(page, "patients.html", unknown=False, query="")


@router.get("/patients/{patient_id}")
def patient_timeline(
    page: Annotated[Page, Depends(get_page)], patient_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> Response:
    denied = guard(page, "timeline:read")
    if denied is not None:
        return denied
    with session_scope(page.request.app.state.engine) as db:
        try:
            data = read_timeline(db, page.reader, patient_id, what="ui timeline").model_dump(mode="json")
        except InputError:
            return render(page, "patients.html", status_code=404, unknown=True, query=patient_id)
    labels = chain_labels(data["reports"])
    chart = size_chart(
        chart_series(data["reports"], labels, page.t("timeline.lesion")),
        title=page.t("timeline.chart"), x_label=page.t("timeline.date"), y_label=page.t("timeline.size"),
    )
    return render(page, "timeline.html", data=data, labels=labels, chart=chart,
                  fu_labels=follow_up_labels(data, labels))
