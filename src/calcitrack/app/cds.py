"""The CDS use case: a patient's cards (open follow-ups, actionable lesions nobody tracks) and card
feedback, built from the worklist and timeline read models.

Why from the read models: the EHR card, the web worklist and the API must agree on what is open, what
is overdue and what a lesion is; the cards therefore run no SQL of their own but read
:class:`~calcitrack.app.worklist.Worklist` (open follow-ups, "overdue") and
:class:`~calcitrack.app.timeline.Timeline` (lesions per report, their latest action, which follow-ups
exist). :mod:`calcitrack.interop.cdshooks` is the thin CDS Hooks face (routes, request models, auth).

Card identity: a card's ``uuid`` encodes the registry row it stands for (``ca1cf011-…`` follow-up,
``ca1cf1d0-…`` finding: the lesion's main mention, row id in the last group), so feedback can be tied to
the row without storing the cards; the same row gives the same uuid in every response, which also makes
feedback idempotent.

Lesions: one lesion gives one follow-up card (its most pressing open follow-up; others of the same lesion
are listed in the card's detail) or one unaddressed card, and a follow-up stored on any mention of a
lesion counts as tracking it (rows stored before lesions existed are mapped to their lesion through the
lesion's mentions).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from calcitrack.app.access import Reader, audit_reads, patient_pks
from calcitrack.app.timeline import Timeline, TimelineLesion, build_timeline
from calcitrack.app.worklist import Worklist, WorklistItem, build_worklist
from calcitrack.explain import vocabulary
from calcitrack.explain.texts import Texts
from calcitrack.kb import get_kb
from calcitrack.registry import audit
from calcitrack.registry import tables as t

SERVICE_ID = "calcitrack-followups"
SOURCE_LABEL = "calcitrack calcification follow-up registry"
INDICATOR = {"surveillance": "info", "workup": "warning", "urgent": "critical"}
ACTIONABLE = tuple(INDICATOR)
MAX_SUMMARY = 139
"""The spec says the summary should be under 140 characters."""
OVERRIDE_SYSTEM = "urn:calcitrack:cds:override-reason"
OVERRIDE_REASONS = (
    ("not-indicated", "Follow-up not clinically indicated"),
    ("done-elsewhere", "Already performed elsewhere"),
    ("not-responsible", "I am not the responsible clinician"),
)
"""Local codes (calcitrack's own code system): no standard value set exists for these reasons."""
_CARD_PREFIX = {"follow_up": "ca1cf011", "finding": "ca1cf1d0"}
_CARD_UUID = re.compile(r"^(ca1cf011|ca1cf1d0)-0000-4000-8000-([0-9a-f]{12})$")
FEEDBACK_EVENT = "cds_feedback"
VIEW_EVENT = "cds_view"


def card_uuid(entity: str, pk: int) -> str:
    return f"{_CARD_PREFIX[entity]}-0000-4000-8000-{pk:012x}"


def parse_card_uuid(value: str) -> tuple[str, int] | None:
    match = _CARD_UUID.match(value.lower())
    if not match:
        return None
    entity = "follow_up" if match.group(1) == _CARD_PREFIX["follow_up"] else "finding"
    return entity, int(match.group(2), 16)


def _short(text: str, limit: int = MAX_SUMMARY) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _texts() -> Texts:
    return Texts(get_kb())


def _lang(lang: str | None) -> str:
    """Cards follow the language of the report they are about (``texts.*.yaml`` keys ``cds.*``)."""
    return lang if lang in ("en", "fr") else "en"


def _status(texts: Texts, code: str, lang: str) -> str:
    key = f"followup.status.{code}"
    return texts.render(key, lang) if texts.has(key, lang) else code


def _where(texts: Texts, organ: str | None, site: str | None, size: float | None, lang: str) -> str:
    return vocabulary.where_text(texts, organ, site, size, lang)


def _clean(value: Any) -> Any:
    """Drop ``None`` and empty values (the spec forbids nulls and empty strings, lists and objects)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_clean(v) for v in value) if v not in (None, "", [], {})]
    return value


def _card(
    uuid: str, summary: str, detail: str, indicator: str, link: str, base: str, texts: Texts, lang: str
) -> dict[str, Any]:
    card: dict[str, Any] = _clean({
        "uuid": uuid,
        "summary": _short(summary),
        "detail": detail,
        "indicator": indicator,
        "source": {"label": texts.render("cds.source", lang), "url": base},
        "overrideReasons": [{"system": OVERRIDE_SYSTEM, "code": c, "display": texts.render(f"cds.override.{c}", lang)}
                            for c, _ in OVERRIDE_REASONS],
        "links": [{"label": texts.render("cds.link", lang), "url": link, "type": "absolute"}],
    })
    return card


def timeline_link(base: str, patient_id: str) -> str:
    return f"{base}/ui/patients/{quote(patient_id, safe='')}"


def _lesion_of_finding(timeline: Timeline) -> dict[int, int]:
    """Finding row -> its lesion (every mention of every lesion of every report)."""
    return {fid: lesion.lesion_id for report in timeline.reports for lesion in report.lesions
            for fid in lesion.finding_ids}


def follow_up_cards(worklist: Worklist, timeline: Timeline, base: str) -> list[dict[str, Any]]:
    """One card per lesion with open follow-ups (its most pressing one), overdue ones first."""
    link = timeline_link(base, timeline.patient_id)
    lesion_of = _lesion_of_finding(timeline)
    texts, langs = _texts(), {report.report_id: _lang(report.lang) for report in timeline.reports}
    by_lesion: dict[tuple[str, int], list[WorklistItem]] = {}
    for item in worklist.items:
        lesion = item.lesion_id if item.lesion_id is not None else lesion_of.get(item.finding_id)
        key = ("lesion", lesion) if lesion is not None else ("finding", item.finding_id)
        by_lesion.setdefault(key, []).append(item)
    cards = []
    for items in by_lesion.values():
        items.sort(key=lambda i: (not i.overdue, i.due_date, i.follow_up_id))
        row, others = items[0], items[1:]
        lang = langs.get(row.report_id, "en")
        state = "overdue" if row.overdue else "open"
        due = row.due_date.isoformat()
        where = _where(texts, row.organ, row.site, row.size_mm, lang)
        what = vocabulary.recommendation_words(texts.kb, row.what, lang)
        say = partial(texts.render, lang=lang)
        status = partial(_status, texts, lang=lang)

        summary = say(f"cds.summary.{state}", where=where, due=due, what=what)
        detail = "\n".join([
            say(f"cds.detail.{state}", where=where, action=say(f"action_short.{row.action}")),
            "",
            say("cds.detail.what", what=what),
            say("cds.detail.due", due=due, status=status(row.status)),
            say("cds.detail.report", report=row.report_id),
            *([say("cds.detail.responsible", responsible=row.responsible)] if row.responsible else []),
            *[say("cds.detail.other", what=vocabulary.recommendation_words(texts.kb, o.what, lang),
                  due=o.due_date.isoformat(), status=status(o.status)) for o in others],
        ])
        card = _card(card_uuid("follow_up", row.follow_up_id), summary, detail,
                     INDICATOR.get(row.action, "info"), link, base, texts, lang)
        cards.append((not row.overdue, due, card))
    return [card for *_, card in sorted(cards, key=lambda c: (c[0], c[1]))]


@dataclass(frozen=True)
class _Unit:
    """A lesion of a current report, or a mention stored without a lesion (rows from before lesions)."""

    main_finding_id: int
    finding_ids: list[int]
    lesion_id: int | None
    organ: str | None
    site: str | None
    size_mm: float | None
    action: str | None


def _units(timeline: Timeline, texts: Texts) -> Iterable[tuple[str, str, str, _Unit]]:
    """(report id, date, language, unit) for the affirmed, current lesions of current reports, in date order."""
    for report in timeline.reports:
        if not report.current:
            continue
        lang = _lang(report.lang)
        date = report.date.isoformat() if report.date else texts.render("cds.undated", lang)
        grouped: set[int] = set()
        lesion: TimelineLesion
        for lesion in report.lesions:
            grouped.update(lesion.finding_ids)
            if lesion.negated or lesion.historical:
                continue
            main = lesion.main_finding_id if lesion.main_finding_id is not None else min(lesion.finding_ids, default=0)
            yield report.report_id, date, lang, _Unit(main, lesion.finding_ids, lesion.lesion_id, lesion.organ,
                                                      lesion.site, lesion.size_mm, lesion.action)
        for finding in report.findings:
            if finding.finding_id in grouped or finding.negated or finding.historical:
                continue
            yield report.report_id, date, lang, _Unit(finding.finding_id, [finding.finding_id], None,
                                                      finding.organ, finding.site, finding.size_mm, finding.action)


def unaddressed_cards(timeline: Timeline, base: str) -> list[dict[str, Any]]:
    """One card per affirmed lesion whose assessment asks for action but that no follow-up (any status)
    tracks, on the lesion or any of its mentions."""
    link = timeline_link(base, timeline.patient_id)
    tracked_lesions = {fu.lesion_id for fu in timeline.follow_ups if fu.lesion_id is not None}
    tracked_findings = {fu.finding_id for fu in timeline.follow_ups}
    cards = []
    texts = _texts()
    for report_id, date, lang, unit in _units(timeline, texts):
        if unit.lesion_id in tracked_lesions or tracked_findings.intersection(unit.finding_ids):
            continue
        if unit.action not in ACTIONABLE:
            continue
        where = _where(texts, unit.organ, unit.site, unit.size_mm, lang)
        action = texts.render(f"action_short.{unit.action}", lang)
        summary = texts.render("cds.summary.unaddressed", lang, where=where, action=action, date=date)
        detail = texts.render("cds.detail.unaddressed", lang, report=report_id, date=date, where=where,
                              count=len(unit.finding_ids), action=action)
        cards.append(_card(card_uuid("finding", unit.main_finding_id), summary, detail, INDICATOR[unit.action],
                           link, base, texts, lang))
    return cards


def find_patient(session: Session, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` (context patient id, then prefetched identifiers) the registry knows."""
    known = patient_pks(session, candidates)
    return next((key for key in candidates if key in known), None)


def patient_cards(
    session: Session, reader: Reader, candidates: Sequence[str], base: str, *, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """The ``patient-view`` cards of the first known candidate patient (none when the registry knows no
    candidate), the read audited once (event ``cds_view``)."""
    key = find_patient(session, candidates)
    if key is None:
        return []
    as_of = as_of or dt.date.today()
    worklist = build_worklist(session, patient=key, limit=None, as_of=as_of)
    timeline = build_timeline(session, key, as_of=as_of)
    cards = follow_up_cards(worklist, timeline, base) + unaddressed_cards(timeline, base)
    audit_reads(session, reader, [key], event=VIEW_EVENT, what=f"cds-hooks patient-view: {len(cards)} card(s)")
    return cards


@dataclass(frozen=True)
class Feedback:
    """One card outcome as the EHR reported it (free-text comments are not kept: they may name the patient)."""

    card: str
    outcome: str
    reason_code: str | None
    accepted: list[str | None]
    at: str


def record_feedback(session: Session, reader: Reader, items: Iterable[Feedback]) -> tuple[int, int]:
    """Append each outcome to the audit trail once (entity ``follow_up`` or ``finding``, event
    ``cds_feedback``); returns (recorded, duplicates)."""
    recorded = duplicates = 0
    for item in items:
        target = parse_card_uuid(item.card)
        entity, pk = target if target else ("cds_card", 0)
        detail = json.dumps({
            "service": SERVICE_ID, "card": item.card, "outcome": item.outcome, "reason": item.reason_code,
            "accepted": item.accepted, "at": item.at,
        }, sort_keys=True)
        exists = session.scalar(
            select(t.AuditEvent.id).where(
                t.AuditEvent.entity == entity, t.AuditEvent.entity_pk == pk,
                t.AuditEvent.event == FEEDBACK_EVENT, t.AuditEvent.detail == detail,
            )
        )
        if exists is not None:
            duplicates += 1
            continue
        audit.log(session, actor=reader.principal.name, source=reader.source, entity=entity, entity_pk=pk,
                  event_name=FEEDBACK_EVENT, new=item.outcome, detail=detail)
        recorded += 1
    return recorded, duplicates
