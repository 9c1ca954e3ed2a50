"""The clinician summary: action, ranked differential with reasons, work-up and schedule, missing
information, policy (and what the other policy would say), and sources with links.

When the KB's policies disagree for a finding (the seed articles' 3–6-monthly ultrasound against the
radiology literature's "no follow-up" for a typical small granuloma), the summary says so explicitly:
hiding the disagreement would make the default look more certain than the sources are.
"""

from __future__ import annotations

from calcitrack.assess import AssessmentError, assess
from calcitrack.assess.durations import duration_words
from calcitrack.explain.common import assessed_pairs, condition_name, policy_name
from calcitrack.explain.document import Document, Item, Section, source_refs
from calcitrack.explain.phrases import finding_description
from calcitrack.explain.texts import Texts, capitalise
from calcitrack.kb import KBError
from calcitrack.models import Analysis, Assessment, Finding, Recommendation


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
    texts: Texts, analysis: Analysis, finding: Finding, assessment: Assessment, lang: str
) -> list[Item]:
    """What each other policy would decide, when it differs (re-assessed with the same finding and context)."""
    kb = texts.kb
    items: list[Item] = []
    for policy_id, policy in kb.policies.items():
        if policy_id == assessment.policy:
            continue
        try:
            other = assess(finding, analysis.context, policy=policy_id, lang=lang, kb=kb)
        except (AssessmentError, KBError):
            continue
        if other.action == assessment.action:
            continue
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


def finding_sections(
    texts: Texts, analysis: Analysis, finding: Finding, assessment: Assessment, lang: str, n: int
) -> list[Section]:
    kb = texts.kb
    description = finding_description(texts, finding, lang)
    rule_titles = []
    for rule_id in assessment.rules_fired:
        try:
            rule_titles.append(f"{rule_id} {kb.rule(rule_id).title.get(lang)}")
        except KeyError:
            rule_titles.append(rule_id)
    overview = [
        Item(
            text=texts.render("summary.action", lang, action=texts.render(f"action.{assessment.action.value}", lang)),
            origin="text:summary.action",
            sources=list(assessment.sources),
        ),
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
        *_other_policies(texts, analysis, finding, assessment, lang),
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
            key=f"finding-{n}",
            heading=texts.render("summary.finding_heading", lang, n=n, description=description),
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


def clinician_document(texts: Texts, analysis: Analysis, lang: str) -> Document:
    sections: list[Section] = []
    for n, (finding, assessment) in enumerate(assessed_pairs(analysis, texts.kb, lang), start=1):
        sections.extend(finding_sections(texts, analysis, finding, assessment, lang, n))
    if not sections:
        sections = [
            Section(
                key="none",
                heading=texts.render("summary.none_heading", lang),
                items=[Item(text=texts.render("sentence.none", lang), origin="text:sentence.none")],
            )
        ]
    return Document(
        audience="clinician",
        lang=lang,
        title=texts.render("summary.title", lang),
        sections=sections,
        sources_heading=texts.render("label.sources", lang),
        sources=source_refs(texts.kb, sections),
    )
