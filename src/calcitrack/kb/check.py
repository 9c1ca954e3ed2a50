"""``calcitrack kb check``: is the knowledge base complete and does it still decide as expected?

Loading already guarantees structure and references (:mod:`calcitrack.kb.loader`). This adds what a
reviewer needs before accepting an edit: every condition reachable from some rule, every text in both
languages, every rule and both policies exercised by the golden cases, and every golden case passing.
The clinical constants (``constants.yaml``) are validated on load (ranges, sources, named facts) and
counted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from calcitrack.assess.engine import AssessmentError, assess
from calcitrack.kb.loader import KBError, KnowledgeBase, read_yaml
from calcitrack.kb.schema import GoldenCase, GoldenFile
from calcitrack.models import Finding, PatientContext

DEFAULT_GOLDEN = Path("tests/golden/cases.yaml")


@dataclass
class CheckReport:
    """Counts and problems found; ``ok`` when there is no problem."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_golden(path: Path) -> list[GoldenCase]:
    """Read golden cases; a malformed file is a :class:`KBError` naming the case."""
    data = read_yaml(path)
    try:
        return GoldenFile.model_validate(data).cases
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(p) for p in first["loc"])
        raise KBError(f"{path.name}: {where}: {first['msg']}") from exc


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
    report = CheckReport()
    report.counts = {
        "conditions": len(kb.conditions),
        "rules": len(kb.rules),
        "sources": len(kb.sources),
        "questions": len(kb.questions),
        "seed claims": len(kb.claims),
        "policies": len(kb.policies),
        "constants": len(kb.constants.items()),
    }
    if kb.constants_inherited:
        report.notes.append("constants.yaml not in the KB directory: the packaged constants are used")
    reachable = {item.condition for rule in kb.rules for item in rule.differential}
    for condition_id in kb.conditions:
        if condition_id not in reachable:
            report.problems.append(f"condition {condition_id} is not reachable: no rule puts it in a differential")
    en, fr = set(kb.texts.get("en", {})), set(kb.texts.get("fr", {}))
    for key in sorted(en - fr):
        report.problems.append(f"texts.fr.yaml: missing key {key!r} (present in English)")
    for key in sorted(fr - en):
        report.problems.append(f"texts.en.yaml: missing key {key!r} (present in French)")

    path = golden_path or DEFAULT_GOLDEN
    if not path.exists():
        if golden_path is not None:
            report.problems.append(f"golden cases file not found: {path}")
        else:
            report.notes.append(f"golden cases not run: {path} not found (pass --golden PATH)")
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
