"""The coordinators' worklist: open follow-ups with counts, filters, sort, status changes and CSV export.

Why the use cases: the rows come from :func:`calcitrack.app.worklist.read_worklist` (the read model of
``GET /api/v1/worklist``, with "overdue" decided there and one ``read`` audit event per patient shown),
status changes go through :func:`calcitrack.app.follow_ups.change_follow_up` (transition check + audit
event), as the API's do. Clinicians see the
list but get no status buttons (``follow_up:status`` is coordinator/admin only), and the server refuses
their posts anyway.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response

from calcitrack.app.follow_ups import TRANSITIONS, FollowUpNotFound, change_follow_up
from calcitrack.app.worklist import WorklistItem, read_worklist
from calcitrack.errors import InputError
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import CLOSED_STATUSES, OPEN_STATUSES, STATUSES
from calcitrack.web import security
from calcitrack.web.page import Page, csrf_failure, get_page, guard, redirect, render

router = APIRouter()

VIEWS: tuple[str, ...] = ("open", "due", "overdue", "escalated", "closed")
SORTS: tuple[str, ...] = ("due_date", "action", "status", "patient_id")
DUE_WINDOW_DAYS = 30
"""'Due' = open and due within this many days (and not yet overdue)."""
ACTION_ORDER = {"urgent": 0, "workup": 1, "surveillance": 2}


def today() -> dt.date:
    return dt.date.today()


CSV_FIELDS: tuple[str, ...] = tuple(WorklistItem.model_fields)


def is_overdue(row: dict[str, Any], as_of: dt.date) -> bool:
    """The read model's verdict (:func:`calcitrack.registry.queries.overdue`, judged as of ``as_of``)."""
    return bool(row["overdue"])


def is_due(row: dict[str, Any], as_of: dt.date) -> bool:
    limit = (as_of + dt.timedelta(days=DUE_WINDOW_DAYS)).isoformat()
    return row["status"] in OPEN_STATUSES and not is_overdue(row, as_of) and row["due_date"] <= limit


def counts(rows: list[dict[str, Any]], as_of: dt.date) -> dict[str, int]:
    open_rows = [r for r in rows if r["status"] in OPEN_STATUSES]
    return {
        "open": len(open_rows),
        "due": sum(1 for r in open_rows if is_due(r, as_of)),
        "overdue": sum(1 for r in open_rows if is_overdue(r, as_of)),
        "escalated": sum(1 for r in open_rows if r["escalated"]),
    }


def select_rows(
    rows: list[dict[str, Any]], view: str, action: str, patient: str, sort: str, as_of: dt.date
) -> list[dict[str, Any]]:
    """Apply the page's filters and sort to the worklist rows."""
    if view == "closed":
        chosen = [r for r in rows if r["status"] in CLOSED_STATUSES]
    else:
        chosen = [r for r in rows if r["status"] in OPEN_STATUSES]
        if view == "due":
            chosen = [r for r in chosen if is_due(r, as_of)]
        elif view == "overdue":
            chosen = [r for r in chosen if is_overdue(r, as_of)]
        elif view == "escalated":
            chosen = [r for r in chosen if r["escalated"]]
    if action:
        chosen = [r for r in chosen if r["action"] == action]
    if patient:
        chosen = [r for r in chosen if patient.lower() in str(r["patient_id"]).lower()]
    if sort == "action":
        chosen.sort(key=lambda r: (ACTION_ORDER.get(r["action"], 9), r["due_date"]))
    elif sort in ("status", "patient_id"):
        chosen.sort(key=lambda r: (str(r[sort]), r["due_date"]))
    else:
        chosen.sort(key=lambda r: (r["due_date"], r["follow_up_id"]))
    return chosen


def notices_text(notices: list[dict[str, Any]]) -> str:
    """The worklist's notices as one CSV cell: ``kind/channel/status/recipient/sent_at`` joined by ``; ``."""
    return "; ".join(
        "/".join(str(n[key] or "") for key in ("kind", "channel", "status", "recipient", "sent_at")) for n in notices
    )


def _load(page: Page, what: str, as_of: dt.date) -> list[dict[str, Any]]:
    """All follow-ups (open and closed) with the read audited per patient shown, as JSON-ready rows."""
    with session_scope(page.request.app.state.engine) as db:
        result = read_worklist(db, page.reader, statuses=list(STATUSES), limit=5000, as_of=as_of, what=what)
    return [item.model_dump(mode="json") for item in result.items]


def _params(page: Page) -> dict[str, str]:
    q = page.request.query_params
    view = q.get("view", "open")
    sort = q.get("sort", "due_date")
    action = q.get("action", "")
    return {
        "view": view if view in VIEWS else "open",
        "sort": sort if sort in SORTS else "due_date",
        "action": action if action in ACTION_ORDER else "",
        "patient": q.get("patient", "")[:128],
    }


@router.get("/worklist")
def worklist_page(page: Annotated[Page, Depends(get_page)]) -> Response:
    denied = guard(page, "worklist:read")
    if denied is not None:
        return denied
    params = _params(page)
    as_of = today()
    rows = _load(page, "ui worklist", as_of)
    shown = select_rows(rows, params["view"], params["action"], params["patient"], params["sort"], as_of)
    q = page.request.query_params
    return render(
        page, "worklist.html", rows=shown, counts=counts(rows, as_of), params=params, views=VIEWS, sorts=SORTS,
        actions=tuple(ACTION_ORDER), transitions=TRANSITIONS, as_of=as_of.isoformat(),
        overdue_ids={r["follow_up_id"] for r in shown if is_overdue(r, as_of)},
        changed=q.get("changed"), error=q.get("error"),
    )


@router.get("/worklist.csv")
def worklist_csv(page: Annotated[Page, Depends(get_page)]) -> Response:
    denied = guard(page, "worklist:read")
    if denied is not None:
        return denied
    params = _params(page)
    as_of = today()
    rows = select_rows(_load(page, "ui worklist csv", as_of), params["view"], params["action"], params["patient"],
                       params["sort"], as_of)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "notices": notices_text(row["notices"])})
    response = Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="worklist-{today().isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/worklist/{follow_up_id}/status")
def change_status(
    page: Annotated[Page, Depends(get_page)],
    follow_up_id: Annotated[int, Path(ge=1)],
    status: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    denied = guard(page, "follow_up:status")
    if denied is not None:
        return denied
    if not security.check_csrf(page.session, csrf):
        return csrf_failure(page)
    target = back if back.startswith("/ui/worklist") else "/ui/worklist"
    joiner = "&" if "?" in target else "?"
    if status == "cancelled" and not reason.strip():
        return redirect(page, f"{target}{joiner}error=reason")
    reader = page.reader
    with session_scope(page.request.app.state.engine) as db:
        try:
            change_follow_up(db, follow_up_id, status=status, reason=reason.strip() or None,
                             actor=reader.principal.name, source=reader.source)
        except FollowUpNotFound:
            return render(page, "error.html", status_code=404, message=page.t("error.not_found"))
        except InputError:
            db.rollback()
            return redirect(page, f"{target}{joiner}error=transition")
    return redirect(page, f"{target}{joiner}changed={follow_up_id}")
