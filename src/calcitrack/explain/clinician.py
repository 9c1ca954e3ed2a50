"""The clinician summary: the report's action and headline, then per lesion its mentions, what the report
calls it (characterisation) and where its mentions disagree, action, ranked differential with reasons,
work-up and schedule, missing information, policy (and what the other policy would say), and sources.

One lesion is one section however many times the report names it (findings and impression): grouping is
:mod:`calcitrack.lesions`'s, read from ``Analysis.lesions``; the mentions stay listed as the evidence.

When the KB's policies disagree for a finding (the seed articles' 3–6-monthly ultrasound against the
radiology literature's "no follow-up" for a typical small granuloma), the summary says so explicitly:
hiding the disagreement would make the default look more certain than the sources are.
"""

from __future__ import annotations

from calcitrack.assess.durations import duration_words
from calcitrack.assess.policies import other_policies
from calcitrack.explain.document import Document, Item, Section, source_refs
from calcitrack.explain.headline import headline
from calcitrack.explain.lookups import assessed_lesions, condition_name, mentions_of, policy_name
from calcitrack.explain.phrases import finding_description, stated_value
from calcitrack.explain.sources import strength_key
from calcitrack.explain.texts import Texts, capitalise
from calcitrack.lesions import in_scope
from calcitrack.models import ACTION_RANK, Action, Analysis, Assessment, Lesion, Recommendation


def _recommendation_text(texts: Texts, rec: Recommendation, lang: str) -> str:
    return texts.render(
        "summary.recommendation",
        lang,
        kind=texts.render(f"kind.{rec.kind.value}", lang),
        kind_id=rec.kind.value,
        what=rec.what.strip().rstrip("."),
        schedule_in_what=any(ch.isdigit() for ch in rec.what),
        when=(rec.when or "").strip().rstrip("."),
        interval=duration_words(rec.interval, lang),
        duration=duration_words(rec.duration, lang),
        rationale=(rec.rationale or "").strip(),
    )


def _other_policies(
    texts: Texts, analysis: Analysis, lesion: Lesion, assessment: Assessment, lang: str
) -> list[Item]:
    """What each other policy would decide, when it differs (:func:`calcitrack.assess.policies.other_policies`)."""
    kb = texts.kb
    items: list[Item] = []
    for other in other_policies(
        lesion, analysis.context, assessment, kb=kb, lang=lang, report_recommendations=analysis.report_recommendations,
    ):
        policy_id, policy = other.policy, kb.policies[other.policy]
        recs = "; ".join(_recommendation_text(texts, rec, lang) for rec in other.recommendations)
        items.append(
            Item(
                text=texts.render(
                    "summary.policy_alternative",
                    lang,
                    policy=policy.name.get(lang),
                    action=texts.render(f"action.{other.action.value}", lang),
                    recommendations=recs,
                ),
                origin=f"kb:policy:{policy_id}",
                sources=list(dict.fromkeys([*policy.sources, *other.sources])),
            )
        )
    return items


def _mentions(texts: Texts, analysis: Analysis, lesion: Lesion, lang: str) -> Item | None:
    """The lesion's mentions quoted with their section: the evidence the grouping rests on."""
    quotes = [
        texts.render("summary.mention", lang, text=m.evidence.text.strip(),
                     section=texts.render(f"section.{m.section.value}", lang))
        for m in mentions_of(analysis, lesion)
        if m.evidence is not None
    ]
    if not quotes:
        return None
    return Item(text=texts.render("summary.mentions", lang, count=len(quotes), quotes=quotes), origin="report")


def _characterisation(texts: Texts, lesion: Lesion, lang: str) -> Item | None:
    """What the radiologist calls the lesion, each label with the report's words that say it."""
    labels = []
    for item in lesion.characterisation:
        key = f"characterisation.{item.label}"
        label = texts.render(key, lang) if texts.has(key, lang) else item.label.replace("_", " ")
        evidence = item.evidence.text.strip() if item.evidence else ""
        labels.append(texts.render("summary.characterisation_item", lang, label=label, evidence=evidence))
    if not labels:
        return None
    return Item(text=texts.render("summary.characterisation", lang, labels=labels), origin="report")


def _conflicts(texts: Texts, lesion: Lesion, lang: str) -> list[Item]:
    """Where the mentions disagree: kept visible, never silently merged away."""
    items = []
    for name, values in lesion.conflicts.items():
        key = f"attribute.{name}"
        attribute = texts.render(key, lang) if texts.has(key, lang) else name.replace("_", " ")
        items.append(
            Item(
                text=texts.render("summary.conflict", lang, attribute=attribute,
                                  values=[stated_value(name, v, lang) for v in values]),
                origin="text:summary.conflict",
            )
        )
    return items


def lesion_sections(
    texts: Texts, analysis: Analysis, lesion: Lesion, assessment: Assessment, lang: str, n: int
) -> list[Section]:
    kb = texts.kb
    description = finding_description(texts, lesion, lang)
    rule_titles = []
    for rule_id in assessment.rules_fired:
        try:
            rule_titles.append(f"{rule_id} {kb.rule(rule_id).title.get(lang)}")
        except KeyError:
            rule_titles.append(rule_id)
    evidence = [item for item in (_mentions(texts, analysis, lesion, lang),
                                  _characterisation(texts, lesion, lang)) if item is not None]
    overview = [
        Item(
            text=texts.render("summary.action", lang, action=texts.render(f"action.{assessment.action.value}", lang)),
            origin="text:summary.action",
            sources=list(assessment.sources),
        ),
        *evidence,
        *_conflicts(texts, lesion, lang),
        Item(
            text=texts.render("summary.rules", lang, rules=rule_titles),
            origin="text:summary.rules",
        ),
        Item(
            text=texts.render(
                "summary.policy",
                lang,
                policy=policy_name(kb, assessment.policy, lang),
            ),
            origin=f"kb:policy:{assessment.policy}",
            sources=list(kb.policies[assessment.policy].sources) if assessment.policy in kb.policies else [],
        ),
        *_other_policies(texts, analysis, lesion, assessment, lang),
        Item(
            text=texts.render(
                "summary.agreement",
                lang,
                agreement=texts.render(f"agreement.{assessment.report_agreement.value}", lang),
            ),
            origin="text:summary.agreement",
        ),
    ]
    sections = [
        Section(
            key=f"lesion-{n}",
            heading=texts.render("summary.lesion_heading", lang, n=n, description=description),
            items=overview,
            style="bullets",
        )
    ]
    differential = [
        Item(
            text=texts.render(
                "summary.differential_entry",
                lang,
                name=capitalise(condition_name(kb, entry.condition_id, lang)),
                tier=texts.render(f"tier.{entry.tier.value}", lang),
                reasons=entry.reasons,
            ),
            origin=f"kb:condition:{entry.condition_id}",
            sources=list(kb.conditions[entry.condition_id].summary.sources)
            if entry.condition_id in kb.conditions
            else [],
        )
        for entry in assessment.differential
    ]
    if differential:
        sections.append(
            Section(
                key=f"differential-{n}",
                heading=texts.render("label.differential", lang),
                items=differential,
                style="numbered",
            )
        )
    recs = [
        Item(
            text=_recommendation_text(texts, rec, lang), origin=f"kb:recommendation:{rec.id}", sources=list(rec.sources)
        )
        for rec in assessment.recommendations
    ]
    if recs:
        sections.append(
            Section(
                key=f"recommendations-{n}",
                heading=texts.render("label.recommendations", lang),
                items=recs,
                style="bullets",
            )
        )
    missing = [
        Item(text=question, origin=f"kb:question:{qid}")
        for question, qid in zip(assessment.missing_information, assessment.missing_information_ids, strict=False)
    ]
    if missing:
        sections.append(
            Section(
                key=f"missing-{n}",
                heading=texts.render("label.missing_information", lang),
                items=missing,
                style="bullets",
            )
        )
    return sections


def _report_sections(
    texts: Texts, analysis: Analysis, pairs: list[tuple[Lesion, Assessment]], lang: str
) -> list[Section]:
    """The report as a whole: its action and headline (``Analysis.summary``), then the reading warnings.

    The headline is written again in ``lang`` from the lesion that sets the action, so a French summary of
    an English report does not quote an English line. An analysis without a summary (built by hand, or
    schema 1.0) gets the same rule as the service: the highest action among current, in-scope lesions.
    """
    kb = texts.kb
    action, lesion_id = analysis.summary.action, analysis.summary.lesion_id
    if action is None and pairs:
        counted = [(lesion, a) for lesion, a in pairs if lesion.current and in_scope(lesion)]
        if counted:
            lesion, top = max(counted, key=lambda pair: ACTION_RANK[pair[1].action])
            action, lesion_id = top.action, lesion.id
    numbers = {lesion.id: n for n, (lesion, _) in enumerate(pairs, start=1)}
    sections: list[Section] = []
    if pairs:
        items = [_report_action(texts, action, numbers.get(lesion_id or ""), lang)]
        setter = next((lesion for lesion, _ in pairs if lesion.id == lesion_id), None)
        line = headline(kb, action, setter, lang)
        if line:
            items.append(
                Item(text=texts.render("summary.headline", lang, headline=line), origin="text:summary.headline")
            )
        mentions = sum(len(lesion.finding_ids) or 1 for lesion, _ in pairs)
        items.append(Item(text=texts.render("summary.counts", lang, lesions=len(pairs), mentions=mentions),
                          origin="text:summary.counts"))
        sections.append(Section(key="report", heading=texts.render("summary.report_heading", lang), items=items,
                                style="bullets"))
    if analysis.warnings:
        sections.append(
            Section(
                key="warnings",
                heading=texts.render("summary.warnings_heading", lang),
                items=[Item(text=texts.render("summary.warning", lang, warning=w), origin="text:summary.warning")
                       for w in analysis.warnings],
                style="bullets",
            )
        )
    return sections


def _report_action(texts: Texts, action: Action | None, n: int | None, lang: str) -> Item:
    if action is None:
        return Item(text=texts.render("summary.report_action_none", lang), origin="text:summary.report_action_none")
    return Item(
        text=texts.render("summary.report_action", lang, action=texts.render(f"action.{action.value}", lang), n=n),
        origin="text:summary.report_action",
    )


def clinician_document(texts: Texts, analysis: Analysis, lang: str) -> Document:
    pairs = assessed_lesions(analysis, texts.kb, lang)
    sections = _report_sections(texts, analysis, pairs, lang)
    for n, (lesion, assessment) in enumerate(pairs, start=1):
        sections.extend(lesion_sections(texts, analysis, lesion, assessment, lang, n))
    if not pairs:
        sections.append(
            Section(
                key="none",
                heading=texts.render("summary.none_heading", lang),
                items=[Item(text=texts.render("sentence.none", lang), origin="text:sentence.none")],
            )
        )
    return Document(
        audience="clinician",
        lang=lang,
        title=texts.render("summary.title", lang),
        sections=sections,
        sources_heading=texts.render("label.sources", lang),
        sources=source_refs(texts.kb, sections, strength=lambda grade: texts.render(strength_key(grade), lang)),
    )
