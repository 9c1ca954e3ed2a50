"""``calcitrack kb check`` in full: the KB's own checks (:func:`calcitrack.kb.check.check_structure`) plus
the golden cases run through the engine, with rule and policy coverage.

Why here and not in ``kb/``: a golden case is a finding and a context with the action the engine must
decide; running it needs :func:`calcitrack.assess.engine.assess`, and the KB layer sits below the engine.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from calcitrack.assess.engine import AssessmentError, assess
from calcitrack.errors import InputError
from calcitrack.kb.check import CheckReport, check_structure, default_golden, load_golden
from calcitrack.kb.loader import LEXICON_FILES, KBError, KnowledgeBase, lexicon_path
from calcitrack.kb.schema import GoldenCase
from calcitrack.models import Finding, PatientContext
from calcitrack.nlp.lexicon import load_lexicon_file

__all__ = ["CheckReport", "check_kb", "load_golden", "run_case"]


def run_case(kb: KnowledgeBase, case: GoldenCase) -> tuple[list[str], list[str]]:
    """Run one golden case; returns (problems, rules fired)."""
    try:
        finding = Finding.model_validate(case.finding)
        context = PatientContext.model_validate(case.context)
        result = assess(finding, context, policy=case.policy, kb=kb)
    except (ValidationError, AssessmentError, KBError) as exc:
        return [f"golden case {case.id}: cannot run: {exc}".splitlines()[0]], []
    problems: list[str] = []
    if result.action != case.expect_action:
        problems.append(
            f"golden case {case.id}: expected action {case.expect_action.value}, got {result.action.value}"
            f" (rules {', '.join(result.rules_fired)})"
        )
    top = result.differential[0].condition_id if result.differential else None
    if case.expect_top and top != case.expect_top:
        problems.append(f"golden case {case.id}: expected {case.expect_top} first, got {top}")
    missing_rules = [r for r in case.expect_rules if r not in result.rules_fired]
    if missing_rules:
        problems.append(f"golden case {case.id}: rules did not fire: {', '.join(missing_rules)}")
    wrongly_fired = [r for r in case.expect_not_rules if r in result.rules_fired]
    if wrongly_fired:
        problems.append(f"golden case {case.id}: rules fired that must not: {', '.join(wrongly_fired)}")
    kinds = {rec.kind.value for rec in result.recommendations}
    missing_kinds = [k for k in case.expect_recommendation_kinds if k not in kinds]
    if missing_kinds:
        problems.append(f"golden case {case.id}: no recommendation of kind {', '.join(missing_kinds)}")
    return problems, result.rules_fired


def check_kb(kb: KnowledgeBase, golden_path: Path | None = None) -> CheckReport:
    """All checks of ``calcitrack kb check`` on a loaded KB."""
    report = check_structure(kb)
    _check_lexicons(kb, report)
    path = golden_path or default_golden(kb)
    if not path.exists():
        report.problems.append(f"golden cases file not found: {path}")
        return report
    cases = load_golden(path)
    report.counts["golden cases"] = len(cases)
    exercised: set[str] = set()
    for case in cases:
        problems, fired = run_case(kb, case)
        report.problems.extend(problems)
        exercised.update(fired)
    for rule in kb.rules:
        if rule.id not in exercised:
            report.problems.append(f"rule {rule.id} is not exercised by any golden case")
    for policy_id in kb.policies:
        if not any(case.policy == policy_id for case in cases):
            report.problems.append(f"policy {policy_id} has no golden case")
    return report


def _check_lexicons(kb: KnowledgeBase, report: CheckReport) -> None:
    """Each lexicon the reader would use, validated against its schema (it lives with the reader, one layer
    above the KB, so the check runs here)."""
    valid = 0
    for lang in sorted(LEXICON_FILES):
        try:
            load_lexicon_file(lexicon_path(lang, kb.directory))
            valid += 1
        except (InputError, KBError) as exc:
            report.problems.append(str(exc).splitlines()[0])
    report.counts["lexicons"] = valid
