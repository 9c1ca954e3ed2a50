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
from calcitrack.explain.sources import display_id, display_short, source_lang, strength_key
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
    """A mention's or a lesion's attributes as one line (hover text of a highlight, line of a block), every
    code in the page's words (:mod:`calcitrack.web.values`)."""
    t, w = page.t, page.words
    parts = [f"{t('attr.organ')}: {w.organ(finding.organ.value)}"]
    if finding.site:
        parts.append(f"{t('attr.site')}: {w.site(finding.site)}")
    if finding.size_mm is not None:
        size = f"{finding.size_mm:g}".replace(".", "," if page.lang == "fr" else ".")
        parts.append(f"{t('attr.size')}: {size} mm")
    if finding.count is not None:
        parts.append(f"{t('attr.count')}: {w.count(finding.count)}")
    if finding.pattern is not None:
        parts.append(f"{t('attr.pattern')}: {w.pattern(finding.pattern.value)}")
    if finding.acoustic_shadow is not None:
        parts.append(f"{t('attr.shadow')}: {t('answer.yes' if finding.acoustic_shadow else 'answer.no')}")
    if finding.interval_change is not None:
        parts.append(f"{t('attr.change')}: {w.change(finding.interval_change.value)}")
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
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ContextField:
    """One input of the missing-information form: its form name, label, kind of input and current value.

    ``kind`` is ``select`` (one of ``choices``), ``checkboxes`` (any of ``choices``; ``values`` holds the
    ticked ones), ``number`` or ``text``: every question gets an input of the kind its answer needs.
    """

    name: str
    form_name: str
    label: str
    kind: str
    value: str
    choices: tuple[Choice, ...] = ()
    values: tuple[str, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    fields: list[ContextField]


FINDING_PREFIX = "fnd_"
FINDING_ANSWERS = ("interval_change", "duct_dilatation", "ductal", "associated_mass", "size_mm")
"""Facts about a lesion that a missing-information question may ask (Q2, Q13, Q14, Q15): the answer re-runs
that lesion's assessment with the fact set. ``ductal`` is "the focus lies inside a duct" (pattern ductal)."""
TREATMENTS = ("surgery", "biopsy", "ablation", "tace_lipiodol", "chemotherapy")


def _tri_state(page: Page) -> tuple[Choice, ...]:
    return tuple(Choice(v, page.t(f"answer.{v or 'unknown'}")) for v in TRI_STATE)


def _context_field(page: Page, name: str, value: str) -> ContextField:
    """The input a PatientContext field needs, labelled and with its choices in the page's words."""
    w, kind = page.words, _field_kind(name)
    unknown = Choice("", page.t("answer.unknown"))
    label, form_name = page.t(f"ctx.{name}"), f"{CONTEXT_PREFIX}{name}"
    if kind == "bool":
        return ContextField(name, form_name, label, "select", value, _tri_state(page))
    if kind == "cancer":
        sites = tuple(Choice(site, w.cancer(site)) for site in CANCER_SITES)
        return ContextField(name, form_name, label, "select", value, (unknown, *sites))
    if kind == "sex":
        sexes = tuple(Choice(v, w.sex(v)) for v in ("female", "male", "other"))
        return ContextField(name, form_name, label, "select", value, (unknown, *sexes))
    if kind == "number":
        return ContextField(name, form_name, label, "number", value)
    if name == "prior_liver_treatment":
        ticked = tuple(v for v in value.split(",") if v)
        choices = tuple(Choice(v, w.treatment(v)) for v in TREATMENTS)
        return ContextField(name, form_name, label, "checkboxes", value, choices, ticked)
    return ContextField(name, form_name, label, "text", value)


def _finding_field(page: Page, lesion: Lesion, n: int, name: str, value: str) -> ContextField:
    """The input for a fact about lesion ``n`` (see :data:`FINDING_ANSWERS`)."""
    w = page.words
    label = f"{page.t('analyse.lesion')} {n}: {page.t(f'fnd.{name}')}"
    form_name = f"{FINDING_PREFIX}{lesion.id}_{name}"
    if name == "interval_change":
        changes = tuple(Choice(v, w.change(v)) for v in ("new", "stable", "increased", "decreased", "resolved"))
        return ContextField(name, form_name, label, "select", value, (Choice("", page.t("answer.unknown")), *changes))
    if name == "size_mm":
        return ContextField(name, form_name, label, "number", value, unit="mm")
    return ContextField(name, form_name, label, "select", value, _tri_state(page))


def _known(value: object) -> bool:
    return value not in (None, [], "")


def questions(
    page: Page, analysis: Analysis, answers: dict[str, str], finding_answers: dict[str, str]
) -> list[QuestionView]:
    """The missing-information questions of all lesions, once each, with an input for every fact they
    probe. A fact the report (or an answer) already states is not asked again - the age of a report that
    gives it, for example; a question left with nothing to ask is not shown."""
    kb, lang = get_kb(), page.lang
    by_id = {q.id: q for q in kb.questions}
    lesions = {lesion.id: (n, lesion) for n, lesion in enumerate(report_lesions(analysis), start=1)}
    seen: dict[str, QuestionView] = {}
    for assessment in analysis.assessments:
        n, lesion = lesions.get(assessment.lesion_id or "", (0, None))
        for qid in assessment.missing_information_ids:
            question = by_id.get(qid)
            if question is None:
                continue
            view = seen.setdefault(qid, QuestionView(qid, question.text.get(lang), []))
            present = {f.form_name for f in view.fields}
            for probe in question.probes:
                scope, _, name = probe.field.partition(".")
                if scope == "context" and name in PatientContext.model_fields:
                    if _known(getattr(analysis.context, name)) and name not in answers:
                        continue  # stated by the report: not missing
                    field = _context_field(page, name, answers.get(name, ""))
                elif scope == "finding" and lesion is not None:
                    name = "ductal" if name == "pattern" and probe.value == "ductal" else name
                    if name not in FINDING_ANSWERS:
                        continue
                    key = f"{lesion.id}_{name}"
                    stated = lesion.pattern is not None if name == "ductal" else _known(getattr(lesion, name))
                    if stated and key not in finding_answers:
                        continue
                    field = _finding_field(page, lesion, n, name, finding_answers.get(key, ""))
                else:
                    continue
                if field.form_name not in present:
                    present.add(field.form_name)
                    view.fields.append(field)
    return [view for view in seen.values() if view.fields]


def finding_answers_from_form(form: dict[str, str], analysis: Analysis) -> dict[str, str]:
    """The answered lesion facts, ``{"<lesion id>_<fact>": raw value}``, for lesions of this analysis."""
    ids = {lesion.id for lesion in report_lesions(analysis)}
    answers: dict[str, str] = {}
    for key, value in form.items():
        if not key.startswith(FINDING_PREFIX) or not value.strip():
            continue
        rest = key[len(FINDING_PREFIX):]
        name = next((fact for fact in FINDING_ANSWERS if rest.endswith(f"_{fact}")), None)
        if name is None:
            continue
        lesion_id = rest[: -len(name) - 1]
        if lesion_id in ids and name in FINDING_ANSWERS:
            answers[f"{lesion_id}_{name}"] = value.strip()[:20]
    return answers


def _lesion_update(name: str, raw: str) -> dict[str, Any]:
    """The lesion attributes an answered fact sets (an unusable answer sets nothing)."""
    if name == "size_mm":
        try:
            size = float(raw.replace(",", "."))
        except ValueError:
            return {}
        return {"size_mm": size} if 0 < size <= 1000 else {}
    if name == "interval_change":
        return {"interval_change": raw} if raw in ("new", "stable", "increased", "decreased", "resolved") else {}
    if raw not in ("yes", "no"):
        return {}
    if name == "ductal":
        return {"pattern": "ductal"} if raw == "yes" else {}
    return {name: raw == "yes"}


def reassess_with_facts(analysis: Analysis, answers: dict[str, str], kb: KnowledgeBase) -> Analysis:
    """The analysis with the answered lesion facts set and the lesions assessed again (same context, policy
    and report recommendations), so that an answer to "what is its size?" changes what it should."""
    from calcitrack.assess.engine import assess_lesions
    from calcitrack.service import summarise

    lesions = []
    for lesion in analysis.lesions:
        update: dict[str, Any] = {}
        for key, raw in answers.items():
            if key.startswith(f"{lesion.id}_"):
                update.update(_lesion_update(key[len(lesion.id) + 1:], raw))
        lesions.append(Lesion.model_validate({**lesion.model_dump(), **update}) if update else lesion)
    lang = analysis.report.lang or "en"
    assessments = assess_lesions(lesions, analysis.context, policy=analysis.policy, lang=lang, kb=kb,
                                 report_recommendations=analysis.report_recommendations)
    return analysis.model_copy(update={"lesions": lesions, "assessments": assessments,
                                       "summary": summarise(lesions, assessments, kb, lang)})


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
    form = {k: ",".join(str(v) for v in multipart.getlist(k) if isinstance(v, str))
            for k in multipart if isinstance(multipart.get(k), str)}
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
    facts = finding_answers_from_form(form, analysis)
    if facts and analysis.assessments:
        analysis = reassess_with_facts(analysis, facts, kb)
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
                  default_policy=kb.default_policy, result=result_view(page, analysis, answers, facts))


def _answer_words(page: Page, name: str, value: object) -> str:
    """An answered or stated context value in the page's words ("yes", "colorectal (mucinous)", "45")."""
    w = page.words
    if isinstance(value, bool) or value in ("yes", "no"):
        yes = value is True or value == "yes"
        return page.t("answer.yes" if yes else "answer.no")
    if name == "known_primary_cancer":
        return w.cancer(value)
    if name == "sex":
        return w.sex(value)
    if name == "prior_liver_treatment":
        items = value if isinstance(value, list) else str(value).split(",")
        return ", ".join(w.treatment(v) for v in items if v)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _answered(page: Page, answers: dict[str, str]) -> list[tuple[str, str]]:
    return [(page.t(f"ctx.{name}"), _answer_words(page, name, value)) for name, value in answers.items()]


def _stated(page: Page, analysis: Analysis, answers: dict[str, str]) -> list[tuple[str, str]]:
    """What the report itself says about the patient (the context it was read with), answers aside."""
    return [
        (page.t(f"ctx.{name}"), _answer_words(page, name, value))
        for name, value in analysis.context.model_dump().items()
        if _known(value) and name not in answers
    ]


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


def result_view(
    page: Page, analysis: Analysis, answers: dict[str, str], facts: dict[str, str] | None = None
) -> dict[str, Any]:
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
    texts = Texts(kb)
    sources = [
        {"id": source.id, "label": display_id(source.id), "short": display_short(source), "title": source.title,
         "url": source.url, "grade": source.grade, "lang": source_lang(source),
         "strength": texts.render(strength_key(source.grade), lang)}
        for source in (kb.sources[s] for s in dict.fromkeys(source_ids) if s in kb.sources)
    ]
    radiologist = build_document(analysis, lang=report_lang, audience="radiologist", kb=kb)
    letters = {code: build_document(analysis, lang=code, audience="patient", kb=kb) for code in ("en", "fr")}
    clinician = build_document(analysis, lang=lang, audience="clinician", kb=kb)
    facts = facts or {}
    questions_view = questions(page, analysis, answers, facts)
    shown = {f.form_name for q in questions_view for f in q.fields}
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
        "carried": {name: value for name, value in [
            *((f"{CONTEXT_PREFIX}{k}", v) for k, v in answers.items()),
            *((f"{FINDING_PREFIX}{k}", v) for k, v in facts.items()),
        ] if name not in shown},
        "answers": answers,
        "answered": _answered(page, answers),
        "stated": _stated(page, analysis, answers),
        "rules": {rule_id: page.words.rule(rule_id) for card in cards if card["assessment"]
                  for rule_id in card["assessment"].rules_fired},
        "action_text": lambda action: kb.text(f"action.{action}", lang),
        "kb_text": lambda key: kb.text(key, lang),
        "source_label": display_id,
    }
