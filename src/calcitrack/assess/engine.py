"""The decision engine: a finding and a patient context in, an :class:`Assessment` out.

Resolution is deterministic and explainable (DESIGN §4):

* every rule whose conditions all hold *fires* (rules restricted to other policies are skipped);
  a rule marked ``fallback`` fires only when no other rule did;
* the highest action among fired rules wins (``out_of_scope`` is the lowest, so it wins only alone);
* recommendations come from the rules at the winning level - and, when the winner is ``workup`` or
  ``urgent``, from every fired work-up or urgent rule, because a work-up test stays relevant when an
  urgent rule also fires - merged by id without duplicates;
* the differential merges every fired rule's entries: best tier, summed weights, all reasons; ranked
  by tier (likely, possible, must_exclude), then weight, then id;
* facts that are unknown fail positive tests and pass negative ones (see :func:`holds`);
* missing information: a question is asked when its facts are unknown and one of its hypothetical
  answers, re-run through the rules, changes the action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from calcitrack.assess.agreement import report_agreement
from calcitrack.errors import AssessmentError as AssessmentError  # the finding cannot be assessed
from calcitrack.kb.facts import Derivation, derivation, facts_for, with_derived
from calcitrack.kb.loader import KnowledgeBase, get_kb
from calcitrack.kb.schema import AllOf, AnyOf, Clause, Question, Rule, Test
from calcitrack.lesions import as_lesion, group_lesions
from calcitrack.models import (
    ACTION_RANK,
    TIER_RANK,
    Action,
    Assessment,
    DifferentialEntry,
    Finding,
    Lesion,
    PatientContext,
    Recommendation,
    ReportRecommendation,
)


def holds(test: Test, facts: dict[str, Any]) -> bool:
    """Whether one rule condition holds for these facts.

    Unknown (``None``) facts never satisfy a positive test (eq, in, lt, le, gt, ge, contains, is_true,
    is_false); they do satisfy the negative ones (ne, not_in, not_true, not_false), which read as "not
    known to be". So "no known cancer" fires on an unknown history, and the missing-information
    questions then ask for it.
    """
    if isinstance(test, AnyOf):
        return any(holds(inner, facts) for inner in test.any)
    if isinstance(test, AllOf):
        return all(holds(inner, facts) for inner in test.all)
    return _clause_holds(test, facts.get(test.field))


def _clause_holds(clause: Clause, actual: Any) -> bool:
    op, expected = clause.op, clause.value
    if op == "is_null":
        return actual is None or actual == []
    if op == "not_null":
        return actual is not None and actual != []
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op == "not_true":
        return actual is not True
    if op == "not_false":
        return actual is not False
    if op == "ne":
        return actual is None or bool(actual != expected)
    if op == "not_in":
        return actual is None or actual not in expected
    if op == "not_contains":
        return not _contains(actual, expected)
    if actual is None:
        return False
    if op == "eq":
        return bool(actual == expected)
    if op == "in":
        return actual in expected
    if op == "contains":
        return _contains(actual, expected)
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    if op == "lt":
        return bool(actual < expected)
    if op == "le":
        return bool(actual <= expected)
    if op == "gt":
        return bool(actual > expected)
    return bool(actual >= expected)  # "ge": the schema admits no other operator


def _contains(actual: Any, expected: Any) -> bool:
    """A list fact holds ``expected`` (a value, or any value of a list)."""
    if not isinstance(actual, list) or not actual:
        return False
    if isinstance(expected, list):
        return any(item in actual for item in expected)
    return expected in actual


def _fields(test: Test) -> frozenset[str]:
    """The facts a condition reads (so a probe that leaves them alone cannot change the rule)."""
    if isinstance(test, AnyOf):
        return frozenset().union(*(_fields(inner) for inner in test.any))
    if isinstance(test, AllOf):
        return frozenset().union(*(_fields(inner) for inner in test.all))
    return frozenset({test.field})


Predicate = Callable[[dict[str, Any]], bool]


def compile_test(test: Test) -> Predicate:
    """A closure equivalent to ``holds(test, facts)``, without re-dispatching on the test's type and
    operator at every call (the missing-information probes evaluate rules thousands of times per report)."""
    if isinstance(test, AnyOf | AllOf):
        parts = tuple(compile_test(inner) for inner in (test.any if isinstance(test, AnyOf) else test.all))
        if isinstance(test, AnyOf):
            def any_of(facts: dict[str, Any]) -> bool:
                for part in parts:  # noqa: SIM110 - a plain loop is faster than any() over a generator
                    if part(facts):
                        return True
                return False
            return any_of

        def all_of(facts: dict[str, Any]) -> bool:
            for part in parts:  # noqa: SIM110 - as above
                if not part(facts):
                    return False
            return True
        return all_of
    name, op, expected = test.field, test.op, test.value
    if op == "eq":
        return lambda facts: (actual := facts.get(name)) is not None and bool(actual == expected)
    if op == "in":
        return lambda facts: (actual := facts.get(name)) is not None and actual in expected
    if op == "not_true":
        return lambda facts: facts.get(name) is not True
    if op == "is_true":
        return lambda facts: facts.get(name) is True
    if op == "is_null":
        return lambda facts: (actual := facts.get(name)) is None or actual == []
    if op == "contains":
        return lambda facts: _contains(facts.get(name), expected)
    if op == "not_contains":
        return lambda facts: not _contains(facts.get(name), expected)
    return lambda facts: _clause_holds(test, facts.get(name))


def _compile_rule(rule: Rule) -> Predicate:
    parts = tuple(compile_test(test) for test in rule.when)

    def rule_holds(facts: dict[str, Any]) -> bool:
        for part in parts:  # noqa: SIM110 - as in compile_test
            if not part(facts):
                return False
        return True
    return rule_holds


@dataclass(frozen=True)
class _RuleSet:
    """The rules of one policy, each with the facts it reads; built once per knowledge base and policy.

    Why: the missing-information probes re-run the rules some thirty times per finding, and most probes
    change one or two facts; knowing which rules read which facts lets a probe re-check only those.
    """

    rules: tuple[Rule, ...]
    readers: dict[str, tuple[int, ...]]  # for each fact, the positions of the rules that read it
    predicates: tuple[Predicate, ...] = ()  # compiled ``when`` of each rule (see :func:`compile_test`)
    ranks: tuple[int, ...] = ()  # action rank of each non-fallback rule, -1 for a fallback rule
    fallback_ranks: tuple[int, ...] = ()  # action rank of each fallback rule, -1 for the others

    def check(self, facts: dict[str, Any]) -> list[bool]:
        return [predicate(facts) for predicate in self.predicates]

    def recheck(self, base: list[bool], facts: dict[str, Any], changed: Iterable[str]) -> list[bool]:
        """Like :meth:`check`, reusing ``base`` for every rule that reads none of the ``changed`` facts."""
        held = list(base)
        predicates = self.predicates
        for index in {i for name in changed for i in self.readers.get(name, ())}:
            held[index] = predicates[index](facts)
        return held

    def rank_counts(self, held: Sequence[bool]) -> tuple[list[int], list[int]]:
        """How many holding rules sit at each action rank: (non-fallback, fallback)."""
        counts, fallback = [0] * len(ACTION_RANK), [0] * len(ACTION_RANK)
        for ok, rank, fallback_rank in zip(held, self.ranks, self.fallback_ranks, strict=True):
            if ok:
                if rank >= 0:
                    counts[rank] += 1
                else:
                    fallback[fallback_rank] += 1
        return counts, fallback

    def probe_rank(
        self,
        base: Sequence[bool],
        counts: tuple[list[int], list[int]],
        facts: dict[str, Any],
        changed: Iterable[str],
    ) -> int | None:
        """The winning action's rank for ``facts``, which differ from the base facts only in ``changed``:
        only the rules reading a changed fact are re-evaluated, and the rank counts of the base
        (:meth:`rank_counts`) are adjusted for those (None when no rule would fire)."""
        main, fallback = list(counts[0]), list(counts[1])
        predicates, ranks, fallback_ranks = self.predicates, self.ranks, self.fallback_ranks
        for index in {i for name in changed for i in self.readers.get(name, ())}:
            now = predicates[index](facts)
            if now != base[index]:
                step = 1 if now else -1
                if ranks[index] >= 0:
                    main[ranks[index]] += step
                else:
                    fallback[fallback_ranks[index]] += step
        for levels in (main, fallback):
            for rank in range(len(levels) - 1, -1, -1):
                if levels[rank]:
                    return rank
        return None

    def fired(self, held: list[bool]) -> list[Rule]:
        """Non-fallback rules that hold, in KB order; the fallback ones only when none did."""
        fired = [rule for rule, ok in zip(self.rules, held, strict=True) if ok and not rule.fallback]
        if fired:
            return fired
        return [rule for rule, ok in zip(self.rules, held, strict=True) if ok and rule.fallback]


_RULESETS: dict[tuple[int, str], tuple[KnowledgeBase, _RuleSet]] = {}

def _ruleset(kb: KnowledgeBase, policy: str) -> _RuleSet:
    """The cached rule set of ``policy`` (the KB is kept in the entry so that its id is never reused)."""
    key = (id(kb), policy)
    entry = _RULESETS.get(key)
    if entry is None or entry[0] is not kb:
        rules = tuple(rule for rule in kb.rules if rule.policies is None or policy in rule.policies)
        readers: dict[str, list[int]] = {}
        for position, rule in enumerate(rules):
            for name in frozenset().union(*(_fields(t) for t in rule.when)):
                readers.setdefault(name, []).append(position)
        entry = (kb, _RuleSet(
            rules,
            {name: tuple(positions) for name, positions in readers.items()},
            tuple(_compile_rule(rule) for rule in rules),
            tuple(-1 if rule.fallback else ACTION_RANK[rule.action] for rule in rules),
            tuple(ACTION_RANK[rule.action] if rule.fallback else -1 for rule in rules),
        ))
        _RULESETS[key] = entry
    return entry[1]


def fired_rules(kb: KnowledgeBase, facts: dict[str, Any], policy: str) -> list[Rule]:
    """The rules that fire for these facts under ``policy``, in KB order."""
    ruleset = _ruleset(kb, policy)
    return ruleset.fired(ruleset.check(facts))


def winning_action(rules: Sequence[Rule]) -> Action:
    if not rules:
        raise AssessmentError("no rule of the knowledge base applies to this finding (KB coverage gap)")
    return max((rule.action for rule in rules), key=ACTION_RANK.__getitem__)


@dataclass(frozen=True)
class _Decision:
    action: Action
    rules: tuple[Rule, ...]
    held: tuple[bool, ...] = ()  # which rules of the policy's rule set hold (reused by the probes)


def _decide(kb: KnowledgeBase, facts: dict[str, Any], policy: str) -> _Decision:
    ruleset = _ruleset(kb, policy)
    held = ruleset.check(facts)
    rules = ruleset.fired(held)
    return _Decision(winning_action(rules), tuple(rules), tuple(held))


def assess(
    subject: Finding | Lesion,
    context: PatientContext | None = None,
    *,
    policy: str | None = None,
    lang: str = "en",
    kb: KnowledgeBase | None = None,
    report_recommendations: Sequence[ReportRecommendation] = (),
) -> Assessment:
    """Assess one affirmed lesion (a lone finding is a lesion of one mention).

    Raises :class:`AssessmentError` for a negated one: a denial gets no assessment.
    """
    lesion = subject if isinstance(subject, Lesion) else as_lesion(subject)
    if lesion.negated:
        raise AssessmentError(f"finding {lesion.main_finding_id} is negated: negated findings get no assessment")
    kb = kb or get_kb()
    context = context or PatientContext()
    policy_id = kb.resolve_policy(policy)
    derive = derivation(kb.constants)
    facts = facts_for(lesion, context, kb.constants)
    decision = _decide(kb, facts, policy_id)
    recommendations = _merge_recommendations(decision, lang)
    questions = _missing_information(kb, facts, policy_id, decision, derive)
    return Assessment(
        lesion_id=lesion.id if isinstance(subject, Lesion) else None,
        finding_id=lesion.main_finding_id,
        action=decision.action,
        differential=_merge_differential(decision.rules, lang),
        recommendations=recommendations,
        missing_information=[q.text.get(lang) for q in questions],
        missing_information_ids=[q.id for q in questions],
        report_agreement=report_agreement(decision.action, report_recommendations),
        rules_fired=[rule.id for rule in decision.rules],
        sources=_unique(source for rule in decision.rules for source in rule.sources),
        policy=policy_id,
        kb_version=kb.kb_version,
    )


def assess_lesions(
    lesions: Iterable[Lesion],
    context: PatientContext | None = None,
    *,
    policy: str | None = None,
    lang: str = "en",
    kb: KnowledgeBase | None = None,
    report_recommendations: Sequence[ReportRecommendation] = (),
) -> list[Assessment]:
    """One assessment per current, affirmed lesion; negated and historical-only lesions get none."""
    return [
        assess(lesion, context, policy=policy, lang=lang, kb=kb, report_recommendations=report_recommendations)
        for lesion in lesions
        if lesion.current
    ]


def assess_findings(
    findings: Sequence[Finding],
    context: PatientContext | None = None,
    *,
    policy: str | None = None,
    lang: str = "en",
    kb: KnowledgeBase | None = None,
    report_recommendations: Sequence[ReportRecommendation] = (),
) -> list[Assessment]:
    """Group mentions into lesions (:func:`calcitrack.lesions.group_lesions`) and assess each lesion."""
    return assess_lesions(
        group_lesions(findings), context, policy=policy, lang=lang, kb=kb,
        report_recommendations=report_recommendations,
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge_recommendations(decision: _Decision, lang: str) -> list[Recommendation]:
    winner = ACTION_RANK[decision.action]
    floor = min(winner, ACTION_RANK[Action.workup])
    escalated = winner >= ACTION_RANK[Action.workup]
    contributing = [
        rule
        for rule in decision.rules
        if ACTION_RANK[rule.action] == winner or (escalated and ACTION_RANK[rule.action] >= floor)
    ]
    merged: dict[str, Recommendation] = {}
    for rule in contributing:
        for rec in rule.recommendations:
            if rec.id in merged:
                merged[rec.id].sources.extend(s for s in rule.sources if s not in merged[rec.id].sources)
                continue
            merged[rec.id] = Recommendation(
                id=rec.id,
                kind=rec.kind,
                what=rec.what.get(lang),
                when=rec.when.get(lang) if rec.when else None,
                interval=rec.interval,
                duration=rec.duration,
                rationale=rec.rationale.get(lang) if rec.rationale else None,
                sources=list(rule.sources),
            )
    recs = list(merged.values())
    if any(r.kind != "none" for r in recs):
        recs = [r for r in recs if r.kind != "none"]
    return recs


def _merge_differential(rules: Sequence[Rule], lang: str) -> list[DifferentialEntry]:
    merged: dict[str, DifferentialEntry] = {}
    for rule in rules:
        for item in rule.differential:
            reason = item.reason.get(lang)
            entry = merged.get(item.condition)
            if entry is None:
                merged[item.condition] = DifferentialEntry(
                    condition_id=item.condition, tier=item.tier, reasons=[reason], weight=item.weight
                )
                continue
            if TIER_RANK[item.tier] < TIER_RANK[entry.tier]:
                entry.tier = item.tier
            entry.weight += item.weight
            if reason not in entry.reasons:
                entry.reasons.append(reason)
    return sorted(merged.values(), key=lambda e: (TIER_RANK[e.tier], -e.weight, e.condition_id))


def _missing_information(
    kb: KnowledgeBase, facts: dict[str, Any], policy: str, decision: _Decision, derive: Derivation
) -> list[Question]:
    """Questions whose hypothetical answer (a probe on a fact still unknown) changes the action."""
    ruleset = _ruleset(kb, policy)
    base = decision.held
    counts = ruleset.rank_counts(base)
    rank = ACTION_RANK[decision.action]
    derived = {name: facts.get(name, _ABSENT) for name in _DERIVED}
    hypothetical = dict(facts)  # one scratch copy: each probe sets one fact, then it is restored
    asked: list[Question] = []
    for question in kb.questions:
        for probe in question.probes:
            field = probe.field
            original = facts.get(field)
            if original not in (None, []):
                continue  # already known: asking again would not be missing information
            hypothetical[field] = probe.value
            with_derived(hypothetical, derive)
            changed = [field, *(name for name in _DERIVED if hypothetical[name] != derived[name])]
            probe_rank = ruleset.probe_rank(base, counts, hypothetical, changed)
            hypothetical[field] = original
            if probe_rank is not None and probe_rank != rank:
                asked.append(question)
                break
    return asked


_ABSENT = object()
_DERIVED = tuple(with_derived({}, Derivation(0, ())))  # the facts computed from others, which a probe may change
