"""The facts a rule may test, their types, and how they are computed from a finding and a context.

Rules name facts as ``finding.<name>`` or ``context.<name>``. Most are fields of
:class:`~calcitrack.models.Finding` / :class:`~calcitrack.models.PatientContext`; a few are derived here
so that rules stay readable (``context.known_cancer`` instead of "known_primary_cancer not in [none,
null]"). ``None`` always means unknown: a positive test on an unknown fact is false, so a rule that needs a
fact never fires on a guess; negative tests (ne, not_in, not_true) read "not known to be" and hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calcitrack.models import (
    CANCER_SITES,
    CHARACTERISATIONS,
    Finding,
    IntervalChange,
    Lesion,
    Organ,
    PatientContext,
    Pattern,
    Section,
)

if TYPE_CHECKING:
    from calcitrack.kb.schema import Constants


@dataclass(frozen=True)
class FactType:
    kind: str  # "enum", "number", "bool", "text", "list", "count"
    choices: frozenset[str] = frozenset()
    description: str = ""


def _enum(values: object, description: str = "") -> FactType:
    return FactType("enum", frozenset(str(getattr(v, "value", v)) for v in values), description)  # type: ignore[attr-defined]


FACT_TYPES: dict[str, FactType] = {
    "finding.organ": _enum(Organ),
    "finding.site": FactType("text"),
    "finding.count": FactType("count", frozenset({"single", "multiple"})),
    "finding.count_n": FactType("number", description="count as a number: single = 1, multiple = unknown"),
    "finding.multiple": FactType("bool", description="more than one focus"),
    "finding.size_mm": FactType("number"),
    "finding.pattern": _enum(Pattern),
    "finding.acoustic_shadow": FactType("bool"),
    "finding.duct_dilatation": FactType("bool"),
    "finding.associated_mass": FactType("bool"),
    "finding.interval_change": _enum(IntervalChange),
    "finding.uncertain": FactType("bool"),
    "finding.section": _enum(Section),
    "finding.characterisation": FactType(
        "list", frozenset(CHARACTERISATIONS), description="what the radiologist calls the lesion (R0)"
    ),
    "context.age": FactType("number"),
    "context.child": FactType("bool", description="age under the KB's child age limit (constants.yaml child_age)"),
    "context.sex": _enum(["female", "male", "other"]),
    "context.pregnant": FactType("bool"),
    "context.fetal_finding": FactType("bool"),
    "context.known_primary_cancer": _enum(CANCER_SITES),
    "context.known_cancer": FactType("bool", description="a primary cancer is known (any site)"),
    "context.high_risk": FactType(
        "bool", description="ACR high risk: any fact of constants.yaml high_risk.any_of (known cancer, liver disease)"
    ),
    "context.chronic_liver_disease": FactType("bool"),
    "context.granulomatous_exposure": FactType("bool"),
    "context.endemic_exposure": FactType("bool"),
    "context.immunosuppressed": FactType("bool"),
    "context.ckd_dialysis": FactType("bool"),
    "context.hyperparathyroidism": FactType("bool"),
    "context.vitamin_d_excess": FactType("bool"),
    "context.raised_phosphate": FactType("bool"),
    "context.family_history": FactType("bool"),
    "context.medications": FactType("list"),
    "context.prior_liver_treatment": FactType(
        "list", frozenset({"surgery", "biopsy", "ablation", "tace_lipiodol", "chemotherapy"})
    ),
    "context.prior_trauma": FactType("bool"),
    "context.prior_imaging_available": FactType("bool"),
    "context.fever": FactType("bool"),
    "context.jaundice": FactType("bool"),
    "context.abdominal_pain": FactType("bool"),
    "context.weight_loss": FactType("bool"),
    "context.cholestatic_liver_tests": FactType("bool"),
    "context.raised_afp": FactType("bool"),
}

_NUMBER_OPS = {"lt", "le", "gt", "ge"}


def check_value(name: str, op: str, value: Any) -> str | None:
    """Why ``value`` cannot be compared with fact ``name`` by ``op`` (None when it can)."""
    fact = FACT_TYPES[name]
    if op in _NUMBER_OPS and fact.kind != "number":
        return f"op {op!r} needs a numeric field, this one is {fact.kind}"
    if op in ("contains", "not_contains") and fact.kind != "list":
        return f"op {op!r} needs a list field"
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    for item in values:
        if fact.kind == "bool" and not isinstance(item, bool):
            return f"expected true/false, got {item!r}"
        if fact.kind == "number" and (isinstance(item, bool) or not isinstance(item, int | float)):
            return f"expected a number, got {item!r}"
        if fact.kind in ("enum", "count") and fact.choices and not (
            str(item) in fact.choices or (fact.kind == "count" and isinstance(item, int))
        ):
            return f"{item!r} is not one of {', '.join(sorted(fact.choices))}"
        if fact.kind == "list" and fact.choices and str(item) not in fact.choices:
            return f"{item!r} is not one of {', '.join(sorted(fact.choices))}"
    return None


def _tri_or(*values: bool | None) -> bool | None:
    """Three-valued OR: true if any is true, false if all are false, unknown otherwise."""
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


_LESION_ONLY = {"evidence", "characterisation", "finding_ids", "main_finding_id", "conflicts", "id"}


@dataclass(frozen=True)
class Derivation:
    """The KB constants that derived facts depend on, in the form :func:`with_derived` reads fastest."""

    child_age_limit: int
    high_risk_any_of: tuple[str, ...]


_DERIVATIONS: dict[int, tuple[Constants, Derivation]] = {}


def derivation(constants: Constants | None = None) -> Derivation:
    """The derivation settings of ``constants`` (default: the configured KB's), memoised per object."""
    if constants is None:
        from calcitrack.kb.loader import get_kb  # the loader imports this module

        constants = get_kb().constants
    entry = _DERIVATIONS.get(id(constants))
    if entry is None or entry[0] is not constants:
        entry = (constants, Derivation(constants.child_age.limit_years, tuple(constants.high_risk.any_of)))
        _DERIVATIONS[id(constants)] = entry
    return entry[1]


def facts_for(
    finding: Finding | Lesion, context: PatientContext, constants: Constants | None = None
) -> dict[str, Any]:
    """Every fact of :data:`FACT_TYPES` for one lesion (or a lone mention) in one patient context.

    The rules name the lesion's merged attributes ``finding.<name>`` (a lone mention is a lesion of one
    mention); ``finding.characterisation`` is the list of what the radiologist calls it. Derived facts
    use the KB ``constants`` (child age limit, high-risk definition); default: the current KB's.
    """
    facts: dict[str, Any] = {}
    for name, value in finding.model_dump(mode="json", exclude=_LESION_ONLY).items():
        facts[f"finding.{name}"] = value
    facts["finding.characterisation"] = list(dict.fromkeys(c.label for c in finding.characterisation))
    for name, value in context.model_dump(mode="json").items():
        facts[f"context.{name}"] = value
    return with_derived(facts, derivation(constants))


def with_derived(facts: dict[str, Any], rules: Derivation | None = None) -> dict[str, Any]:
    """Add the derived facts, computed from the stored ones (so a probe can change one stored fact and
    recompute only these, without rebuilding models - the engine does that for every question).

    ``rules`` carries the KB constants (see :func:`derivation`); the engine passes it in once per lesion.
    """
    if rules is None:
        rules = derivation()
    count = facts.get("finding.count")
    count_n: int | None
    if isinstance(count, int):
        count_n = count
    elif count == "single":
        count_n = 1
    else:
        count_n = None
    cancer = facts.get("context.known_primary_cancer")
    known_cancer = None if cancer is None else cancer != "none"
    age = facts.get("context.age")
    facts["finding.count_n"] = count_n
    facts["finding.multiple"] = None if count is None else (count == "multiple" or (count_n or 0) > 1)
    facts["context.known_cancer"] = known_cancer
    facts["context.child"] = None if age is None else age < rules.child_age_limit
    facts["context.high_risk"] = _tri_or(*(facts.get(name) for name in rules.high_risk_any_of))
    return facts
