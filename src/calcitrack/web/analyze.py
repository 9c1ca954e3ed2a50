"""The analyse page: a report in (pasted, uploaded or a bundled example), its findings (mentions)
highlighted in the text, one assessment block per lesion with its mentions listed (and highlighted
together), the report's summary action and headline, the missing information as questions whose answers
re-run the assessment, and the texts for the radiologist, the clinician and the patient.

Why lesions: a report names one calcification in its findings and again in its impression; the engine
assesses the lesion once (calcitrack.lesions), so the page shows one block and one action for it, while
every mention stays highlighted as the evidence.

Why nothing is stored: like ``POST /api/v1/analyze`` this page only processes text; the registry is fed
by ingest. The answers to the questions travel back in the re-posted form (hidden fields), not in a
server-side state. Who analysed (not what) is audited, as by the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from calcitrack.app.analyze import analyze
from calcitrack.app.report_file import decode_report
from calcitrack.errors import InputError
from calcitrack.explain.headline import headline
from calcitrack.explain.lookups import assessed_lesions, condition_name, mentions_of, report_lesions
from calcitrack.explain.phrases import Described, finding_description, stated_value
from calcitrack.explain.render import build_document
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import CANCER_SITES, Analysis, Assessment, Finding, Lesion, PatientContext, Report
from calcitrack.registry import audit
from calcitrack.registry.db import session_scope
from calcitrack.web import security
from calcitrack.web.page import Page, csrf_failure, get_page, guard, render

router = APIRouter()

MAX_UPLOAD_BYTES = 1024 * 1024
CONTEXT_PREFIX = "ctx_"
TRI_STATE = ("", "yes", "no")


@lru_cache(maxsize=1)
def examples() -> list[dict[str, Any]]:
    """The bundled demo reports (fictitious patients), in file order."""
    text = resources.files("calcitrack.examples").joinpath("reports.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _field_kind(name: str) -> str:
    """How the form asks for a PatientContext field: yes/no/unknown, a cancer site, a number or text."""
    if name == "known_primary_cancer":
        return "cancer"
    if name == "sex":
        return "sex"
    if name == "age":
        return "number"
    annotation = str(PatientContext.model_fields[name].annotation)
    if "bool" in annotation:
        return "bool"
    if "list" in annotation:
        return "list"
    return "text"


def context_from_form(form: dict[str, str]) -> tuple[PatientContext | None, dict[str, str]]:
    """The PatientContext the answered questions describe, and the raw answers (to re-fill the form).

    Unknown or blank answers stay ``None`` (unknown), never "no". An invalid answer is dropped rather than
    failing the whole page: the assessment then simply keeps asking the question.
    """
    raw: dict[str, str] = {}
    data: dict[str, Any] = {}
    for key, value in form.items():
        if not key.startswith(CONTEXT_PREFIX) or not value.strip():
            continue
        name = key[len(CONTEXT_PREFIX):]
        if name not in PatientContext.model_fields:
            continue
        value = value.strip()[:200]
        kind = _field_kind(name)
        if kind == "bool":
            if value not in ("yes", "no"):
                continue
            data[name] = value == "yes"
        elif kind == "list":
            data[name] = [item.strip() for item in value.split(",") if item.strip()]
        elif kind == "number":
            try:
                data[name] = int(value)
            except ValueError:
                continue
        else:
            data[name] = value
        raw[name] = value
    if not data:
        return None, raw
    valid: dict[str, Any] = {}
    for name, value in data.items():  # validate one by one so one bad answer does not drop the others
        try:
            PatientContext.model_validate({name: value})
        except ValidationError:
            raw.pop(name, None)
            continue
        valid[name] = value
    return (PatientContext.model_validate(valid) if valid else None), raw


@dataclass(frozen=True)
class Segment:
    """A run of report text: plain, or one mention's evidence (with its lesion, action and hover text)."""

    text: str
    finding: Finding | None = None
    action: str | None = None
    title: str = ""
    lesion_id: str = ""


def describe(page: Page, finding: Described, action: str | None) -> str:
    """A mention's or a lesion's attributes as one line (hover text of a highlight, line of a block)."""
    t = page.t
    parts = [f"{t('attr.organ')}: {finding.organ.value}"]
    if finding.site:
        parts.append(f"{t('attr.site')}: {finding.site}")
    if finding.size_mm is not None:
        parts.append(f"{t('attr.size')}: {finding.size_mm:g} mm")
    if finding.count is not None:
        parts.append(f"{t('attr.count')}: {finding.count}")
    if finding.pattern is not None:
        parts.append(f"{t('attr.pattern')}: {finding.pattern.value}")
    if finding.acoustic_shadow is not None:
        parts.append(f"{t('attr.shadow')}: {t('answer.yes' if finding.acoustic_shadow else 'answer.no')}")
    if finding.interval_change is not None:
        parts.append(f"{t('attr.change')}: {finding.interval_change.value}")
    for flag in ("negated", "uncertain", "historical"):
        if getattr(finding, flag):
            parts.append(t(f"attr.{flag}"))
    if action:
        parts.append(f"{t('attr.action')}: {action}")
    return "; ".join(parts)


def segments(
    page: Page, analysis: Analysis, action_text: Callable[[str], str], lesions: list[Lesion] | None = None
) -> list[Segment]:
    """The report cut into plain text and highlighted evidence spans (overlapping spans: first wins).

    Every mention of a lesion carries the lesion's id and action: the restatement in the impression is
    coloured like the detailed mention it repeats, since both are one assessed calcification.
    """
    text = analysis.report.text
    lesions = lesions if lesions is not None else report_lesions(analysis)
    lesion_actions = _lesion_actions(analysis, lesions)
    lesion_of = {fid: lesion.id for lesion in lesions for fid in lesion.finding_ids}
    numbers = {lesion.id: n for n, lesion in enumerate(lesions, start=1)}
    spans = sorted(
        (f for f in analysis.findings if f.evidence and 0 <= f.evidence.start < f.evidence.end <= len(text)),
        key=lambda f: f.evidence.start if f.evidence else 0,
    )
    result: list[Segment] = []
    cursor = 0
    for finding in spans:
        assert finding.evidence is not None
        start, end = finding.evidence.start, finding.evidence.end
        if start < cursor:
            continue
        if start > cursor:
            result.append(Segment(text[cursor:start]))
        lesion_id = lesion_of.get(finding.id, "")
        action = lesion_actions.get(lesion_id)
        action_words = action_text(action) if action else None
        title = describe(page, finding, action_words)
        if lesion_id in numbers:
            title = f"{title}; {page.t('analyse.lesion')} {numbers[lesion_id]}"
        result.append(Segment(text[start:end], finding, action, title, lesion_id))
        cursor = end
    if cursor < len(text):
        result.append(Segment(text[cursor:]))
    return result


def _lesion_actions(analysis: Analysis, lesions: list[Lesion]) -> dict[str, str]:
    """Lesion id -> action of its assessment (schema 1.0 assessments are matched by their mention)."""
    by_finding = {fid: lesion.id for lesion in lesions for fid in lesion.finding_ids}
    actions: dict[str, str] = {}
    for assessment in analysis.assessments:
        lesion_id = assessment.lesion_id or by_finding.get(assessment.finding_id)
        if lesion_id and lesion_id not in actions:
            actions[lesion_id] = assessment.action.value
    return actions


@dataclass(frozen=True)
class ContextField:
    name: str
    kind: str
    value: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    fields: list[ContextField]


def questions(analysis: Analysis, answers: dict[str, str], lang: str) -> list[QuestionView]:
    """The missing-information questions of all findings, once each, with the context fields they probe."""
    kb = get_kb()
    by_id = {q.id: q for q in kb.questions}
    seen: dict[str, QuestionView] = {}
    for assessment in analysis.assessments:
        for qid in assessment.missing_information_ids:
            question = by_id.get(qid)
            if question is None or qid in seen:
                continue
            names = list(dict.fromkeys(
                p.field.split(".", 1)[1] for p in question.probes if p.field.startswith("context.")
            ))
            fields = [ContextField(n, _field_kind(n), answers.get(n, "")) for n in names
                      if n in PatientContext.model_fields]
            seen[qid] = QuestionView(qid, question.text.get(lang), fields)
    return list(seen.values())


def _report_from_form(form: dict[str, str], upload_text: str | None) -> tuple[Report | None, str]:
    """Upload first, then pasted text, then the chosen example (which brings its date and modality)."""
    lang = form.get("lang") if form.get("lang") in ("en", "fr") else None
    text = upload_text if upload_text else form.get("text", "").strip()
    example_id = form.get("example", "")
    if not text and example_id:
        for example in examples():
            if example["id"] == example_id:
                return Report(id=example["id"], date=example.get("date"), modality=example.get("modality"),
                              lang=lang, text=example["text"]), example["text"]
    if not text:
        return None, ""
    return Report(id="ui", lang=lang, text=text), text


@router.get("/analyse")
def analyze_form(page: Annotated[Page, Depends(get_page)]) -> Response:
    denied = guard(page, "analyze")
    if denied is not None:
        return denied
    return _render_form(page, form={}, message=None)


def _render_form(page: Page, form: dict[str, str], message: str | None, status_code: int = 200) -> Response:
    kb = get_kb()
    return render(page, "analyse.html", status_code=status_code, examples=examples(), form=form,
                  message=message, policies=kb.policies, default_policy=kb.default_policy, result=None)


@router.post("/analyse")
async def analyze_page(request: Request, page: Annotated[Page, Depends(get_page)]) -> Response:
    denied = guard(page, "analyze")
    if denied is not None:
        return denied
    multipart = await request.form()
    form = {k: v for k, v in multipart.items() if isinstance(v, str)}
    if not security.check_csrf(page.session, form.get("csrf")):
        return csrf_failure(page)
    upload_text = None
    upload = multipart.get("file")
    if isinstance(upload, UploadFile) and upload.filename:  # starlette's class: request.form() makes these
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        try:  # the one report-file decoder (app/report_file.py), as CLI analyze and ingest
            upload_text = decode_report(content, upload.filename, max_bytes=MAX_UPLOAD_BYTES).text.strip()
        except InputError:
            return _render_form(page, form, page.t("analyse.bad_file"), status_code=422)
    report, text = _report_from_form(form, upload_text)
    if report is None:
        return _render_form(page, form, page.t("analyse.empty"), status_code=422)
    kb = get_kb()
    policy = form.get("policy") if form.get("policy") in kb.policies else None
    context, answers = context_from_form(form)
    analysis = analyze(report, context=context, policy=policy)
    principal = page.principal
    assert principal is not None
    with session_scope(request.app.state.engine) as db:
        client = request.client.host if request.client else "unknown"
        audit.log(db, actor=principal.name, source=f"ui@{client}", entity="analysis", entity_pk=0,
                  event_name="analyze",
                  detail=f"ui analyze: {len(analysis.findings)} finding(s), {len(analysis.lesions)} lesion(s) "
                         f"(role {principal.role})")
    form = {**form, "text": text, "policy": analysis.policy}
    return render(page, "analyse.html", examples=examples(), form=form, message=None, policies=kb.policies,
                  default_policy=kb.default_policy, result=result_view(page, analysis, answers))


def _words(kb: KnowledgeBase, key: str, lang: str, fallback: str) -> str:
    return kb.text(key, lang) if key in kb.texts.get(lang, {}) else fallback.replace("_", " ")


def lesion_cards(page: Page, analysis: Analysis, lesions: list[Lesion], kb: KnowledgeBase) -> list[dict[str, Any]]:
    """One block per lesion: its description, action, mentions (the evidence), what the report calls it,
    where its mentions disagree, and the assessment (differential, recommendations, questions)."""
    lang = page.lang
    texts = Texts(kb)
    assessed = {lesion.id: assessment for lesion, assessment in assessed_lesions(analysis, kb, lang)}
    cards = []
    for n, lesion in enumerate(lesions, start=1):
        local: Assessment | None = assessed.get(lesion.id)
        action_words = kb.text(f"action.{local.action.value}", lang) if local else None
        cards.append({
            "lesion": lesion,
            "n": n,
            "assessment": local,
            "description": finding_description(texts, lesion, lang),
            "title": describe(page, lesion, action_words),
            "mentions": [
                {"id": m.id, "text": m.evidence.text if m.evidence else m.organ.value,
                 "section": _words(kb, f"section.{m.section.value}", lang, m.section.value)}
                for m in mentions_of(analysis, lesion)
            ],
            "characterisation": [
                {"label": _words(kb, f"characterisation.{c.label}", lang, c.label),
                 "evidence": c.evidence.text if c.evidence else ""}
                for c in lesion.characterisation
            ],
            "conflicts": [
                {"attribute": _words(kb, f"attribute.{name}", lang, name),
                 "stated": [stated_value(name, v, lang) for v in values]}
                for name, values in lesion.conflicts.items()
            ],
            "differential": [
                {"name": condition_name(kb, d.condition_id, lang), "tier": kb.text(f"tier.{d.tier.value}", lang),
                 "reasons": d.reasons, "id": d.condition_id}
                for d in (local.differential if local else [])
            ],
        })
    return cards


def summary_view(page: Page, analysis: Analysis, lesions: list[Lesion], kb: KnowledgeBase) -> dict[str, Any]:
    """The report's action (highest among its current, in-scope lesions) and its headline in the page's
    language (rewritten from the lesion that sets the action, so a French page shows a French line)."""
    summary = analysis.summary
    action = summary.action
    setter = next((lesion for lesion in lesions if lesion.id == summary.lesion_id), None)
    n = next((i for i, lesion in enumerate(lesions, start=1) if lesion is setter), None)
    line = headline(kb, action, setter, page.lang) if action is not None else ""
    return {"action": action.value if action else None, "lesion_id": summary.lesion_id, "n": n,
            "headline": line or summary.headline}


def result_view(page: Page, analysis: Analysis, answers: dict[str, str]) -> dict[str, Any]:
    """Everything the result part of the page shows, computed once (templates stay logic-free)."""
    kb = get_kb()
    lang = page.lang
    report_lang = analysis.report.lang or "en"
    lesions = report_lesions(analysis)
    cards = lesion_cards(page, analysis, lesions, kb)
    source_ids: list[str] = []
    for card in cards:
        local = card["assessment"]
        if local:
            source_ids.extend(local.sources)
            for rec in local.recommendations:
                source_ids.extend(rec.sources)
    sources = [kb.sources[s] for s in dict.fromkeys(source_ids) if s in kb.sources]
    radiologist = build_document(analysis, lang=report_lang, audience="radiologist", kb=kb)
    letters = {code: build_document(analysis, lang=code, audience="patient", kb=kb) for code in ("en", "fr")}
    clinician = build_document(analysis, lang=lang, audience="clinician", kb=kb)
    questions_view = questions(analysis, answers, lang)
    shown = {f.name for q in questions_view for f in q.fields}
    return {
        "analysis": analysis,
        "segments": segments(page, analysis, lambda action: kb.text(f"action.{action}", lang), lesions),
        "cards": cards,
        "summary": summary_view(page, analysis, lesions, kb),
        "sources": sources,
        "radiologist": " ".join(item.text for item in radiologist.items()),
        "letters": letters,
        "clinician": clinician,
        "questions": questions_view,
        "carried": {k: v for k, v in answers.items() if k not in shown},
        "answers": answers,
        "cancer_sites": CANCER_SITES,
        "action_text": lambda action: kb.text(f"action.{action}", lang),
        "kb_text": lambda key: kb.text(key, lang),
    }
