"""Small lookups shared by the audiences: the lesion of an assessment, the leading condition, policies."""

from __future__ import annotations

from calcitrack.kb import KnowledgeBase
from calcitrack.kb.schema import RuleRecommendation
from calcitrack.lesions import group_lesions, lesion_of
from calcitrack.models import (
    ACTION_RANK,
    Analysis,
    Assessment,
    DifferentialEntry,
    Finding,
    Lesion,
    Recommendation,
    Tier,
)


def report_lesions(analysis: Analysis) -> list[Lesion]:
    """The analysis's lesions; an analysis without them (schema 1.0 JSON, or built by hand from findings)
    gets them from :func:`calcitrack.lesions.group_lesions`, the one grouping every layer uses."""
    if analysis.lesions:
        return list(analysis.lesions)
    return group_lesions(analysis.findings, analysis.report.text or None)


def assessed_lesions(analysis: Analysis, kb: KnowledgeBase, lang: str) -> list[tuple[Lesion, Assessment]]:
    """Each assessed lesion with its assessment (texts in ``lang``), in report order: one per lesion.

    An assessment names its lesion (``lesion_id``). One without it (schema 1.0, one assessment per
    mention) is paired with the lesion holding its mention; if several then fall on one lesion, the
    highest action is kept (the main mention's on ties), so that regrouping never hides a work-up.
    Assessments whose lesion cannot be found are skipped.
    """
    lesions = report_lesions(analysis)
    by_id = {lesion.id: lesion for lesion in lesions}
    chosen: dict[str, Assessment] = {}
    for assessment in analysis.assessments:
        lesion = by_id.get(assessment.lesion_id or "") or lesion_of(lesions, assessment.finding_id)
        if lesion is None:
            continue
        kept = chosen.get(lesion.id)
        if kept is None or _rank(assessment, lesion) > _rank(kept, lesion):
            chosen[lesion.id] = assessment
    return [(lesion, localise(chosen[lesion.id], kb, lang)) for lesion in lesions if lesion.id in chosen]


def _rank(assessment: Assessment, lesion: Lesion) -> tuple[int, int]:
    return ACTION_RANK[assessment.action], int(assessment.finding_id == lesion.main_finding_id)


def mentions_of(analysis: Analysis, lesion: Lesion) -> list[Finding]:
    """The lesion's mentions (the evidence), in text order."""
    by_id = {finding.id: finding for finding in analysis.findings}
    return [by_id[fid] for fid in lesion.finding_ids if fid in by_id]


def leading_condition(assessment: Assessment, kb: KnowledgeBase) -> DifferentialEntry | None:
    """The top differential entry if it is *likely* and known to the KB: the only one worth naming first."""
    for entry in assessment.differential:
        if entry.tier == Tier.likely and entry.condition_id in kb.conditions:
            return entry
        break
    return None


def condition_name(kb: KnowledgeBase, condition_id: str, lang: str) -> str:
    condition = kb.conditions.get(condition_id)
    return condition.name(lang) if condition else condition_id.replace("_", " ")


def lead_recommendation(assessment: Assessment) -> Recommendation | None:
    """The recommendation that sets the schedule: the first with an interval, else the first at all."""
    for rec in assessment.recommendations:
        if rec.interval:
            return rec
    return assessment.recommendations[0] if assessment.recommendations else None


def policy_name(kb: KnowledgeBase, policy_id: str, lang: str) -> str:
    policy = kb.policies.get(policy_id)
    return policy.name.get(lang) if policy else policy_id


def localise(assessment: Assessment, kb: KnowledgeBase, lang: str) -> Assessment:
    """The assessment with its KB-derived texts (reasons, recommendations, questions) in ``lang``.

    An analysis keeps the texts of the language it was assessed in; a French letter for an English report
    must not quote English reasons. Texts are looked up again by id in the KB; anything the KB no longer
    has (an older analysis, an edited KB) keeps its stored text rather than disappearing.
    """
    fired = []
    for rule_id in assessment.rules_fired:
        try:
            fired.append(kb.rule(rule_id))
        except KeyError:
            continue
    recs_by_id: dict[str, RuleRecommendation] = {}
    for rule in fired:  # the first rule naming a recommendation gives its texts, as in the engine's merge
        for rule_rec in rule.recommendations:
            recs_by_id.setdefault(rule_rec.id, rule_rec)
    recommendations = []
    for rec in assessment.recommendations:
        source = recs_by_id.get(rec.id or "")
        if source is None:
            recommendations.append(rec)
            continue
        recommendations.append(
            rec.model_copy(
                update={
                    "what": source.what.get(lang),
                    "when": source.when.get(lang) if source.when else rec.when,
                    "rationale": source.rationale.get(lang) if source.rationale else rec.rationale,
                }
            )
        )
    differential = []
    for entry in assessment.differential:
        reasons = [
            item.reason.get(lang)
            for rule in fired
            for item in rule.differential
            if item.condition == entry.condition_id
        ]
        differential.append(entry.model_copy(update={"reasons": list(dict.fromkeys(reasons)) or entry.reasons}))
    questions = {q.id: q for q in kb.questions}
    missing = [
        questions[qid].text.get(lang) if qid in questions else text
        for text, qid in zip(assessment.missing_information, assessment.missing_information_ids, strict=False)
    ]
    return assessment.model_copy(
        update={"recommendations": recommendations, "differential": differential, "missing_information": missing}
    )
