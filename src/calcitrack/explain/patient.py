"""The patient letter: what was found, what it may mean, what happens next, when to ask a doctor.

Rules the letter keeps, because a patient cannot weigh them the way a clinician can:

* it is written per lesion: each lesion is described once however many times the report names it, from
  that lesion's own assessment; with several lesions each gets its own numbered part;
* every sentence is either a KB text key (framing, or a fact with a ``<key>.cites`` companion) or a
  KB condition statement (``patient_summary``) that carries its sources: nothing is improvised;
* a cause is never put as a diagnosis: the letter names a condition only when it is the *likely* top of
  the differential, introduces it as the most common cause (a scan alone proves nothing), and prefers the
  hedged ``letter.cause.<condition>`` wording ("often", "may") to the condition's summary when it exists;
  when more tests are planned, it says first that the cause is not known yet;
* size words scale with size: a few millimetres is "a small spot", a centimetre or more "an area" given in
  centimetres, a lesion of 3 cm or more (or one the report calls a mass) "a lump" - a 6 cm cyst is not
  "a spot of calcium";
* warning signs the patient already has (fever, jaundice, belly pain, weight loss in the context) are
  stated as such - "your report mentions a fever" - and only the others are put as "if you get ...";
* urgent actions are phrased as "please contact your doctor soon", never as alarms;
* no internal term reaches the patient (policy names, rule ids, enum codes), and the source list shows only
  guideline and peer-reviewed sources (:mod:`calcitrack.explain.sources`).
"""

from __future__ import annotations

from calcitrack.assess.durations import duration_words
from calcitrack.explain.document import Document, Item, Section, source_refs
from calcitrack.explain.lookups import assessed_lesions, lead_recommendation, leading_condition
from calcitrack.explain.phrases import Described, is_multiple, size_words, where_words
from calcitrack.explain.texts import Texts
from calcitrack.models import Action, Analysis, Assessment, Lesion, Organ, PatientContext

ASK_KEYS = {
    Organ.liver: "letter.ask.abdomen",
    Organ.biliary: "letter.ask.abdomen",
    Organ.spleen: "letter.ask.abdomen",
    Organ.soft_tissue: "letter.ask.soft_tissue",
    Organ.other: "letter.ask.other",
}
AREA_MM = 10.0
"""From this size a lesion is "an area" measured in centimetres rather than "a small spot" in millimetres."""
LUMP_MM = 30.0
"""From this size (or when the report calls it a mass) a lesion is "a lump with calcium in it"."""
WATCHED_SIGNS = ("fever", "abdominal_pain", "jaundice")
"""Signs the abdominal letter asks the patient to report (``letter.sign.<name>``), in the order said."""
PRESENT_SIGNS = ("fever", "abdominal_pain", "jaundice", "weight_loss")
"""Context fields stated back to the patient when the report or the caller says they are present."""


def _text_item(texts: Texts, key: str, lang: str, **values: object) -> Item:
    return Item(text=texts.render(key, lang, **values), origin=f"text:{key}", sources=texts.sources_of(key, lang))


def letter_size(size_mm: float, lang: str) -> str:
    """A size as a patient reads it: millimetres below 1 cm ("4 mm"), else centimetres ("2.5 cm", "6 cm")."""
    if size_mm < AREA_MM:
        return size_words(size_mm, lang)
    cm = round(size_mm / 10, 1)
    number = f"{cm:.0f}" if float(cm).is_integer() else f"{cm:.1f}"
    return f"{number.replace('.', ',') if lang == 'fr' else number} cm"


def _found_key(lesion: Described) -> str:
    if is_multiple(lesion):
        return "letter.found.multiple"
    if lesion.associated_mass or (lesion.size_mm is not None and lesion.size_mm >= LUMP_MM):
        return "letter.found.lump"
    if lesion.size_mm is not None and lesion.size_mm >= AREA_MM:
        return "letter.found.area"
    return "letter.found.single"


def _found(texts: Texts, lesion: Described, lang: str) -> Item:
    item = _text_item(texts, _found_key(lesion), lang, where=where_words(texts, lesion, lang, prefix="letter"))
    if lesion.size_mm is not None and not is_multiple(lesion):
        size = _text_item(texts, "letter.found.size", lang, size=letter_size(lesion.size_mm, lang))
        item = Item(text=f"{item.text} {size.text}", origin=item.origin, sources=item.sources)
    return item


def _cause(texts: Texts, condition_id: str, lang: str) -> Item | None:
    """The hedged cause sentence of a condition: ``letter.cause.<id>``, else its patient summary."""
    key = f"letter.cause.{condition_id}"
    if texts.has(key, lang):
        return _text_item(texts, key, lang)
    statement = texts.kb.conditions[condition_id].patient_summary
    if statement is None:
        return None
    return Item(
        text=statement.get(lang).strip(),
        origin=f"condition:{condition_id}.patient_summary",
        sources=list(statement.sources),
    )


def _meaning(texts: Texts, assessment: Assessment, lang: str) -> list[Item]:
    if assessment.action == Action.out_of_scope:
        return [_text_item(texts, "letter.meaning.out_of_scope", lang)]
    lead = leading_condition(assessment, texts.kb)
    unsettled = assessment.action in (Action.workup, Action.urgent)
    items = [_text_item(texts, "letter.meaning.unsettled", lang)] if unsettled else []
    cause = _cause(texts, lead.condition_id, lang) if lead is not None else None
    if cause is None:
        return items or [_text_item(texts, "letter.meaning.unknown", lang)]
    items.append(_text_item(texts, "letter.meaning.possible" if unsettled else "letter.meaning.likely", lang))
    items.append(cause)
    return items


def _next(texts: Texts, assessment: Assessment, lang: str) -> list[Item]:
    action = assessment.action
    rec = lead_recommendation(assessment)
    item = _text_item(
        texts,
        f"letter.next.{action.value}",
        lang,
        interval=duration_words(rec.interval, lang) if rec else "",
        duration=duration_words(rec.duration, lang) if rec else "",
    )
    sources = list(dict.fromkeys([*item.sources, *assessment.sources]))
    items = [Item(text=item.text, origin=item.origin, sources=sources)]
    if assessment.missing_information and action != Action.urgent:
        items.append(_text_item(texts, "letter.next.questions", lang))
    return items


def word_list(texts: Texts, words: list[str], lang: str, *, conjunction: str) -> str:
    """ "a, b and c" / "a, b ou c": the conjunction is the text key ``letter.list.<conjunction>``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {texts.render(f'letter.list.{conjunction}', lang)} {words[-1]}"


def present_signs(context: PatientContext) -> list[str]:
    """The warning signs the context says the patient has (only a stated true counts; unknown is not yes)."""
    return [name for name in PRESENT_SIGNS if getattr(context, name) is True]


def _ask_abdomen(texts: Texts, context: PatientContext, lang: str) -> list[Item]:
    """Signs already present are stated as such; only the others are put as "if you get ..."."""
    present = present_signs(context)

    def signs(names: list[str]) -> list[str]:
        return [texts.render(f"letter.sign.{name}", lang) for name in names]

    items: list[Item] = []
    if present:
        items.append(
            _text_item(
                texts, "letter.ask.present", lang, signs=word_list(texts, signs(present), lang, conjunction="and")
            )
        )
    watched = [name for name in WATCHED_SIGNS if name not in present]
    if watched:
        items.append(
            _text_item(
                texts, "letter.ask.abdomen", lang, signs=word_list(texts, signs(watched), lang, conjunction="or")
            )
        )
    if context.known_primary_cancer is None:
        items.append(_text_item(texts, "letter.ask.cancer", lang))
    return items


def _ask(texts: Texts, lesion: Lesion, assessment: Assessment, context: PatientContext, lang: str) -> list[Item]:
    items = [_text_item(texts, "letter.ask.urgent", lang)] if assessment.action == Action.urgent else []
    key = ASK_KEYS[lesion.organ]
    if key == "letter.ask.abdomen":
        items.extend(_ask_abdomen(texts, context, lang))
    else:
        items.append(_text_item(texts, key, lang))
    return items


class _Collector:
    """Items of one section, each sentence said once (two lesions often share their advice)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def add(self, target: list[Item], items: list[Item]) -> None:
        for item in items:
            if item.text not in self.seen:
                self.seen.add(item.text)
                target.append(item)


def patient_document(texts: Texts, analysis: Analysis, lang: str) -> Document:
    pairs = assessed_lesions(analysis, texts.kb, lang)
    several = len(pairs) > 1
    found: list[Item] = []
    per_lesion: list[Section] = []
    meaning: list[Item] = []
    next_steps: list[Item] = []
    ask: list[Item] = []
    asked = _Collector()
    for n, (lesion, assessment) in enumerate(pairs, start=1):
        item = _found(texts, lesion, lang)
        if several:
            numbered = texts.render("letter.found.numbered", lang, n=n, text=item.text)
            item = Item(text=numbered, origin=item.origin, sources=item.sources)
        found.append(item)
        if several:
            heading = texts.render("letter.heading.lesion", lang, n=n)
            items = [*_meaning(texts, assessment, lang), *_next(texts, assessment, lang)]
            per_lesion.append(Section(key=f"lesion-{n}", heading=heading, items=items))
        else:
            meaning.extend(_meaning(texts, assessment, lang))
            next_steps.extend(_next(texts, assessment, lang))
        asked.add(ask, _ask(texts, lesion, assessment, analysis.context, lang))
    if not pairs:
        found.append(_text_item(texts, "letter.found.none", lang))
        asked.add(ask, [_text_item(texts, "letter.ask.other", lang)])
    asked.add(ask, [_text_item(texts, "letter.closing", lang)])

    sections = [
        Section(
            key="intro",
            heading=texts.render("letter.heading.intro", lang),
            items=[_text_item(texts, "letter.intro", lang)],
        ),
        Section(
            key="found",
            heading=texts.render("letter.heading.found", lang),
            items=found,
            style="bullets" if several else "paragraph",
        ),
        *per_lesion,
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
        sources=source_refs(texts.kb, sections, patient=True),
        cite_inline=False,
    )
