"""Small lookups shared by the audiences: the finding of an assessment, the leading condition, policies."""

from __future__ import annotations

from calcitrack.kb import KnowledgeBase
from calcitrack.models import Analysis, Assessment, DifferentialEntry, Finding, Recommendation, Tier


def assessed_pairs(analysis: Analysis, kb: KnowledgeBase, lang: str) -> list[tuple[Finding, Assessment]]:
    """Each assessment (texts in ``lang``) with its finding, in report order, one per calcification.

    A report often describes one calcification twice (findings and impression, or "hyperechoic focus ...
    suggesting a calcification"); the explanation says it once, keeping the most detailed mention (see
    :func:`same_calcification`). Assessments without a finding are skipped.
    """
    by_id = {finding.id: finding for finding in analysis.findings}
    kept: list[tuple[Finding, Assessment]] = []
    for assessment in analysis.assessments:
        finding = by_id.get(assessment.finding_id)
        if finding is None:
            continue
        for i, (other, other_assessment) in enumerate(kept):
            if other_assessment.action == assessment.action and same_calcification(other, finding):
                if _detail(finding) > _detail(other):
                    kept[i] = (finding, localise(assessment, kb, lang))
                break
        else:
            kept.append((finding, localise(assessment, kb, lang)))
    return kept


def _detail(finding: Finding) -> int:
    return sum(value is not None for value in (finding.site, finding.size_mm, finding.pattern, finding.count))


def same_calcification(a: Finding, b: Finding) -> bool:
    """Whether two mentions can be the same calcification: same organ, and no known attribute differs."""
    if a.organ != b.organ:
        return False
    for name in ("site", "size_mm", "pattern", "count"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            return False
    return True


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
    recs_by_id = {rec.id: rec for rule in fired for rec in rule.recommendations}
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
