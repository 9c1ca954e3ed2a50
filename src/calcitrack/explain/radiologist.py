"""The radiologist sentence: one impression-ready line per assessed lesion, in the report's language.

Example: "4 mm punctate calcification in segment VII, most consistent with a calcified granuloma; no
follow-up imaging needed." A lesion the report names twice (findings and impression) gets one sentence
that describes its merged attributes (:mod:`calcitrack.lesions`). The action part follows the policy the
analysis was run under, and names the policy when it is not the KB default, so a "seed"-policy schedule
is never mistaken for the standard one.
"""

from __future__ import annotations

from calcitrack.assess.durations import duration_words
from calcitrack.explain.document import Document, Item, Section, source_refs
from calcitrack.explain.lookups import (
    assessed_lesions,
    condition_name,
    lead_recommendation,
    leading_condition,
    policy_name,
)
from calcitrack.explain.phrases import finding_description
from calcitrack.explain.sources import strength_key
from calcitrack.explain.texts import Texts, lower_first
from calcitrack.models import Action, Analysis, Assessment, Lesion


def action_phrase(texts: Texts, assessment: Assessment, lang: str) -> str:
    """What to do, in impression style: "no follow-up imaging needed", "follow-up ultrasound every 6 months"."""
    action = assessment.action
    if action == Action.surveillance:
        rec = lead_recommendation(assessment)
        return texts.render(
            "sentence.action.surveillance",
            lang,
            what=lower_first(rec.what.strip().rstrip(".")) if rec else "",
            interval=duration_words(rec.interval, lang) if rec else "",
            duration=duration_words(rec.duration, lang) if rec else "",
        )
    if action in (Action.workup, Action.urgent):
        whats = [
            lower_first(rec.what.strip().rstrip(".")) for rec in assessment.recommendations if rec.kind.value != "none"
        ]
        return texts.render(f"sentence.action.{action.value}", lang, whats=whats)
    return texts.render(f"sentence.action.{action.value}", lang)


def sentence(texts: Texts, analysis: Analysis, lesion: Lesion, assessment: Assessment, lang: str) -> Item:
    kb = texts.kb
    lead = leading_condition(assessment, kb)
    policy_note = ""
    if assessment.policy != kb.default_policy:
        policy_note = texts.render("sentence.policy_note", lang, policy=policy_name(kb, assessment.policy, lang))
    text = texts.render(
        "sentence.impression",
        lang,
        description=finding_description(texts, lesion, lang),
        condition=condition_name(kb, lead.condition_id, lang) if lead else "",
        action=action_phrase(texts, assessment, lang),
        policy_note=policy_note,
    )
    return Item(text=text, origin="text:sentence.impression", sources=list(assessment.sources))


def radiologist_document(texts: Texts, analysis: Analysis, lang: str) -> Document:
    items = [sentence(texts, analysis, les, a, lang) for les, a in assessed_lesions(analysis, texts.kb, lang)]
    if not items:
        items = [Item(text=texts.render("sentence.none", lang), origin="text:sentence.none")]
    sections = [
        Section(
            key="impression",
            heading=texts.render("sentence.heading", lang),
            items=items,
            style="bullets" if len(items) > 1 else "paragraph",
        )
    ]
    return Document(
        audience="radiologist",
        lang=lang,
        title=texts.render("sentence.title", lang),
        sections=sections,
        sources_heading=texts.render("label.sources", lang),
        sources=source_refs(texts.kb, sections, strength=lambda grade: texts.render(strength_key(grade), lang)),
        cite_inline=False,
    )


def radiologist_sentences(texts: Texts, analysis: Analysis, lang: str) -> list[str]:
    """Just the sentences, for callers that paste them into a report impression."""
    return [item.text for item in radiologist_document(texts, analysis, lang).items()]
