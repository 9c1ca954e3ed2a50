"""The patient letter: what was found, what it most likely means, what happens next, when to ask a doctor.

Rules the letter keeps, because a patient cannot weigh them the way a clinician can:

* every sentence is either a KB text key (framing, or a fact with a ``<key>.cites`` companion) or a
  KB condition statement (``patient_summary``) that carries its sources: nothing is improvised;
* the meaning section names a condition only when it is the *likely* top of the differential; a
  "must exclude" entry is never put to a patient as what the spot "is"; when more tests are planned,
  the letter says first that the cause is not known yet and presents the condition as a possible cause;
* urgent actions are phrased as "please contact your doctor soon", never as alarms;
* a spot is described once however many times the report names it: the letter goes per lesion.
"""

from __future__ import annotations

from calcitrack.assess.durations import duration_words
from calcitrack.explain.document import Document, Item, Section, source_refs
from calcitrack.explain.lookups import assessed_lesions, lead_recommendation, leading_condition
from calcitrack.explain.phrases import Described, is_multiple, size_words, where_words
from calcitrack.explain.texts import Texts
from calcitrack.models import Action, Analysis, Assessment, Organ

ASK_KEYS = {
    Organ.liver: "letter.ask.abdomen",
    Organ.biliary: "letter.ask.abdomen",
    Organ.spleen: "letter.ask.abdomen",
    Organ.soft_tissue: "letter.ask.soft_tissue",
    Organ.other: "letter.ask.other",
}


def _text_item(texts: Texts, key: str, lang: str, **values: object) -> Item:
    return Item(text=texts.render(key, lang, **values), origin=f"text:{key}", sources=texts.sources_of(key, lang))


def _found(texts: Texts, finding: Described, lang: str) -> Item:
    key = "letter.found.multiple" if is_multiple(finding) else "letter.found.single"
    item = _text_item(texts, key, lang, where=where_words(texts, finding, lang, prefix="letter"))
    if finding.size_mm is not None and not is_multiple(finding):
        size = _text_item(texts, "letter.found.size", lang, size=size_words(finding.size_mm, lang))
        item = Item(text=f"{item.text} {size.text}", origin=item.origin, sources=item.sources)
    return item


def _meaning(texts: Texts, assessment: Assessment, lang: str) -> list[Item]:
    kb = texts.kb
    if assessment.action == Action.out_of_scope:
        return [_text_item(texts, "letter.meaning.out_of_scope", lang)]
    lead = leading_condition(assessment, kb)
    unsettled = assessment.action in (Action.workup, Action.urgent)
    items = [_text_item(texts, "letter.meaning.unsettled", lang)] if unsettled else []
    if lead is not None:
        condition = kb.conditions[lead.condition_id]
        if condition.patient_summary is not None:
            statement = condition.patient_summary
            if unsettled:
                items.append(_text_item(texts, "letter.meaning.possible", lang))
            items.append(
                Item(
                    text=statement.get(lang).strip(),
                    origin=f"condition:{condition.id}.patient_summary",
                    sources=list(statement.sources),
                )
            )
            return items
    return items or [_text_item(texts, "letter.meaning.unknown", lang)]


def _next(texts: Texts, assessment: Assessment, lang: str) -> list[Item]:
    action = assessment.action
    key = f"letter.next.{action.value}"
    rec = lead_recommendation(assessment)
    item = _text_item(
        texts,
        key,
        lang,
        interval=duration_words(rec.interval, lang) if rec else "",
        duration=duration_words(rec.duration, lang) if rec else "",
    )
    sources = list(dict.fromkeys([*item.sources, *assessment.sources]))
    items = [Item(text=item.text, origin=item.origin, sources=sources)]
    if assessment.missing_information and action != Action.urgent:
        items.append(_text_item(texts, "letter.next.questions", lang))
    return items


def patient_document(texts: Texts, analysis: Analysis, lang: str) -> Document:
    pairs = assessed_lesions(analysis, texts.kb, lang)
    found: list[Item] = []
    meaning: list[Item] = []
    next_steps: list[Item] = []
    ask: list[Item] = []
    seen: set[str] = set()

    def add(target: list[Item], items: list[Item]) -> None:
        for item in items:
            if item.text not in seen:
                seen.add(item.text)
                target.append(item)

    for lesion, assessment in pairs:  # one lesion, however many times the report names it
        add(found, [_found(texts, lesion, lang)])
        add(meaning, _meaning(texts, assessment, lang))
        add(next_steps, _next(texts, assessment, lang))
        if assessment.action == Action.urgent:
            add(ask, [_text_item(texts, "letter.ask.urgent", lang)])
        add(ask, [_text_item(texts, ASK_KEYS[lesion.organ], lang)])
    if not pairs:
        add(found, [_text_item(texts, "letter.found.none", lang)])
        add(ask, [_text_item(texts, "letter.ask.other", lang)])
    add(ask, [_text_item(texts, "letter.closing", lang)])

    sections = [
        Section(
            key="intro",
            heading=texts.render("letter.heading.intro", lang),
            items=[_text_item(texts, "letter.intro", lang)],
        ),
        Section(key="found", heading=texts.render("letter.heading.found", lang), items=found),
    ]
    if meaning:
        sections.append(Section(key="meaning", heading=texts.render("letter.heading.meaning", lang), items=meaning))
    if next_steps:
        sections.append(Section(key="next", heading=texts.render("letter.heading.next", lang), items=next_steps))
    sections.append(Section(key="ask", heading=texts.render("letter.heading.ask", lang), items=ask))
    return Document(
        audience="patient",
        lang=lang,
        title=texts.render("letter.title", lang),
        sections=sections,
        sources_heading=texts.render("letter.heading.sources", lang),
        sources=source_refs(texts.kb, sections),
        cite_inline=False,
    )
