"""A patient's timeline: reports over time, each calcification linked across reports, a size chart,
and the follow-ups with their history.

Why label linked findings with letters: the registry links a finding to its prior
(``prior_finding_id``); following those links gives one chain per calcification, which is what a
clinician wants to see ("lesion A: 6 -> 6 -> 11 mm"). Reads are audited per patient like the API's.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from calcitrack.api.routes.common import audit_patient_access, patient_pks
from calcitrack.errors import InputError
from calcitrack.registry import queries
from calcitrack.registry.db import session_scope
from calcitrack.web.common import Page, get_page, guard, redirect, render
from calcitrack.web.svg_chart import Series, size_chart

router = APIRouter()


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two mentions in one report of the same calcification (findings and impression often repeat it)."""
    def agree(key: str) -> bool:
        return a[key] is None or b[key] is None or a[key] == b[key]

    return a["organ"] == b["organ"] and a["negated"] == b["negated"] and agree("site") and agree("size_mm")


def chain_labels(reports: list[dict[str, Any]]) -> dict[int, str]:
    """Finding id -> letter of its calcification chain.

    A finding inherits its prior's letter (the registry's link across reports); a repeated mention in the
    same report (impression repeating the findings) shares the letter of the first mention.
    """
    labels: dict[int, str] = {}
    counter = 0
    for report in reports:
        seen: list[dict[str, Any]] = []
        for finding in report["findings"]:
            prior = finding.get("prior_finding_id")
            twin = next((other for other in seen if _same(other, finding)), None)
            if prior is not None and prior in labels:
                labels[finding["finding_id"]] = labels[prior]
            elif twin is not None:
                labels[finding["finding_id"]] = labels[twin["finding_id"]]
            else:
                letters = string.ascii_uppercase
                labels[finding["finding_id"]] = letters[counter % 26] + (str(counter // 26) if counter >= 26 else "")
                counter += 1
            seen.append(finding)
    return labels


def chart_series(reports: list[dict[str, Any]], labels: dict[int, str], word: str) -> list[Series]:
    """One series per chain: the measured, non-negated sizes of its findings in current reports."""
    points: dict[str, dict[dt.date, float]] = {}
    for report in reports:
        if not report["date"] or not report.get("current", True):
            continue
        day = dt.date.fromisoformat(report["date"])
        for finding in report["findings"]:
            if finding["negated"] or finding["size_mm"] is None:
                continue
            chain = points.setdefault(labels[finding["finding_id"]], {})
            chain[day] = max(chain.get(day, 0.0), float(finding["size_mm"]))  # one point per report date
    return [Series(f"{word} {label}", sorted(pts.items())) for label, pts in sorted(points.items())]


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
    principal = page.principal
    assert principal is not None
    with session_scope(page.request.app.state.engine) as db:
        try:
            data = queries.timeline(db, patient_id)
        except InputError:
            return render(page, "patients.html", status_code=404, unknown=True, query=patient_id)
        pks = patient_pks(db, [patient_id])
        audit_patient_access(db, page.request, principal, pks.values(), event="read", what="ui timeline")
    labels = chain_labels(data["reports"])
    chart = size_chart(
        chart_series(data["reports"], labels, page.t("timeline.lesion")),
        title=page.t("timeline.chart"), x_label=page.t("timeline.date"), y_label=page.t("timeline.size"),
    )
    return render(page, "timeline.html", data=data, labels=labels, chart=chart)
