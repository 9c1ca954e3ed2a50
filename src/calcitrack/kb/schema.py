"""Pydantic schemas of the knowledge-base YAML files (DESIGN §4).

The YAML is what a clinician reads and edits; these classes are what makes a typo in it a clear error
("rules.yaml: rule R5: unknown field 'finding.sise_mm'") instead of a silently wrong decision.
Structural checks live here; cross-file checks (a rule citing a missing source) live in
:mod:`calcitrack.kb.check`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from calcitrack.models import Action, Modality, RecommendationKind, Tier

ISO_DURATION = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """A user-facing text in both languages; both are required so no reader gets a blank."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class BilingualList(_Strict):
    en: list[str] = Field(min_length=1)
    fr: list[str] = Field(min_length=1)

    def get(self, lang: str) -> list[str]:
        return self.fr if lang == "fr" else self.en


SourceGrade = Literal["G", "R", "T", "P", "AI", "SEED", "PROJECT"]


class Source(_Strict):
    """A reference: a seed article (id = its file name) or literature (id = S-number of the reference)."""

    id: str
    short: str = Field(min_length=1, description="Short name shown next to recommendations")
    title: str = Field(min_length=1)
    year: int | None = None
    url: str | None = None
    grade: SourceGrade
    note: str | None = None


class SourcesFile(_Strict):
    kb_version: str
    sources: list[Source]


class Statement(_Strict):
    """One clinical statement with the sources that support it."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class Condition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    organs: list[str] = Field(min_length=1)
    names: BilingualList
    category: str
    patterns: list[str] = Field(default_factory=list)
    summary: Statement
    imaging: list[Statement] = Field(min_length=1)
    red_flags: list[Statement] = Field(default_factory=list)
    workup: list[Statement] = Field(default_factory=list)
    management: list[Statement] = Field(default_factory=list)
    epidemiology: list[Statement] = Field(default_factory=list)
    patient_summary: Statement | None = None

    def name(self, lang: str) -> str:
        return self.names.get(lang)[0]

    def statements(self) -> list[Statement]:
        blocks = [self.imaging, self.red_flags, self.workup, self.management, self.epidemiology]
        extra = [self.patient_summary] if self.patient_summary else []
        return [self.summary, *extra, *(s for block in blocks for s in block)]


class ConditionsFile(_Strict):
    conditions: list[Condition]


ClaimVerdict = Literal["supported", "partly_supported", "contested", "unsupported", "wrong"]


class SeedClaim(_Strict):
    """A claim of a seed article with its verdict: the KB records it, never repeats a wrong claim as fact."""

    id: str
    seed: str = Field(description="Source id of the seed article (its file name)")
    claim: Bilingual
    verdict: ClaimVerdict
    evidence: Bilingual
    sources: list[str] = Field(min_length=1)
    conditions: list[str] = Field(default_factory=list)


class ClaimsFile(_Strict):
    claims: list[SeedClaim]


Op = Literal[
    "eq", "ne", "in", "not_in", "lt", "le", "gt", "ge",
    "is_true", "is_false", "not_true", "not_false", "is_null", "not_null", "contains", "not_contains",
]
UNARY_OPS = frozenset({"is_true", "is_false", "not_true", "not_false", "is_null", "not_null"})


class Clause(_Strict):
    """A typed test on one fact: ``{field: finding.size_mm, op: le, value: 10}``. No string is evaluated.

    On a list fact, ``contains`` holds when the list holds the value (or, given a list, any of its values);
    ``not_contains`` when it holds none of them (an unknown or empty list holds none).
    """

    field: str = Field(pattern=r"^(finding|context)\.[a-z_]+$")
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_matches_op(self) -> Clause:
        if self.op in UNARY_OPS:
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
        elif self.value is None:
            raise ValueError(f"op {self.op!r} needs a value")
        elif self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        elif self.op in ("lt", "le", "gt", "ge") and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"op {self.op!r} needs a number")
        return self


class AnyOf(_Strict):
    """At least one of the nested clauses holds."""

    any: list[Clause | AnyOf | AllOf] = Field(min_length=2)


class AllOf(_Strict):
    """All nested clauses hold (useful inside ``any``)."""

    all: list[Clause | AnyOf | AllOf] = Field(min_length=2)


Test = Clause | AnyOf | AllOf


class DifferentialItem(_Strict):
    condition: str
    tier: Tier
    weight: float = Field(default=1.0, gt=0)
    reason: Bilingual


class RuleRecommendation(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: RecommendationKind
    what: Bilingual
    when: Bilingual | None = None
    interval: str | None = Field(default=None, description="ISO 8601 duration or range 'P3M..P6M'")
    duration: str | None = Field(default=None, description="ISO 8601 duration or range 'P2Y..P3Y'")
    rationale: Bilingual | None = None

    @field_validator("interval", "duration")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for part in value.split(".."):
            if not ISO_DURATION.match(part) or part == "P":
                raise ValueError(f"{value!r} is not an ISO 8601 duration like P6M or a range P3M..P6M")
        return value


class Rule(_Strict):
    id: str = Field(pattern=r"^R[0-9A-Za-z_]+$")
    title: Bilingual
    policies: list[str] | None = Field(default=None, description="Policies the rule applies to; null = all")
    when: list[Test] = Field(default_factory=list)
    action: Action
    differential: list[DifferentialItem] = Field(default_factory=list)
    recommendations: list[RuleRecommendation] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    strength: Literal["strong", "moderate", "weak"]
    fallback: bool = Field(default=False, description="Fires only when no other rule fired")
    note: Bilingual | None = None

    @model_validator(mode="after")
    def _fallback_or_conditions(self) -> Rule:
        if not self.when and not self.fallback:
            raise ValueError("a rule without conditions must be marked fallback: true")
        return self


class RulesFile(_Strict):
    rules: list[Rule]


class Policy(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Bilingual
    description: Bilingual
    sources: list[str] = Field(min_length=1)


class PoliciesFile(_Strict):
    default: str
    policies: list[Policy] = Field(min_length=1)


class Probe(_Strict):
    """A hypothetical answer: the engine re-runs the rules with it to see if the action would change."""

    field: str = Field(pattern=r"^(finding|context)\.[a-z_]+$")
    value: Any


class Question(_Strict):
    """A missing-information question, asked only when its answer could change the action."""

    id: str = Field(pattern=r"^Q[0-9]+$")
    text: Bilingual
    probes: list[Probe] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


class QuestionsFile(_Strict):
    questions: list[Question]


class _SourcedConstant(_Strict):
    """A clinical constant the code uses: where it comes from and why, so a reviewer can change it in YAML."""

    sources: list[str] = Field(min_length=1)
    note: str = Field(min_length=1)


class GrowthThreshold(_SourcedConstant):
    """Interval growth (or shrinkage) of a lesion between two reports: at least ``min_mm`` *and* at least
    ``min_fraction`` of the earlier size; smaller differences are measurement noise (registry linking)."""

    min_mm: float = Field(gt=0, le=10)
    min_fraction: float = Field(gt=0, lt=1)


class DueDays(_SourcedConstant):
    """Days from the report to a follow-up's due date when no recommendation states an interval."""

    surveillance: int = Field(ge=1, le=730)
    workup: int = Field(ge=1, le=180)
    urgent: int = Field(ge=1, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> DueDays:
        if not self.urgent <= self.workup <= self.surveillance:
            raise ValueError("due days must be ordered: urgent <= workup <= surveillance")
        return self

    def for_action(self, action: str) -> int | None:
        """Due days of an action level (None for actions that open no follow-up)."""
        value = getattr(self, str(getattr(action, "value", action)), None)
        return value if isinstance(value, int) else None


class ChildAge(_SourcedConstant):
    """Under ``limit_years`` a patient counts as a child (fact ``context.child``)."""

    limit_years: int = Field(ge=1, le=21)


class HighRisk(_SourcedConstant):
    """ACR high-risk patient (fact ``context.high_risk``): true when any of these facts is true, false when
    all are false, unknown otherwise. Each is a true/false context fact (stored, or derived before it)."""

    any_of: list[str] = Field(min_length=1)


class Escalation(_SourcedConstant):
    """The registry's safety net when a later report shows a known lesion again: interval growth (when
    ``on_growth``) or a feature of ``new_features`` present now and not before raises the follow-up to at
    least ``minimum_action``, whatever the assessment says."""

    on_growth: bool = True
    new_features: list[str] = Field(min_length=1)
    minimum_action: Action


class ReminderGraceDays(_SourcedConstant):
    """Days a follow-up may stay overdue before the reminder ladder escalates it to its escalation role."""

    surveillance: int = Field(ge=0, le=365)
    workup: int = Field(ge=0, le=180)
    urgent: int = Field(ge=0, le=30)

    def for_action(self, action: str) -> int | None:
        """Grace days of an action level (None for actions that open no follow-up)."""
        value = getattr(self, str(getattr(action, "value", action)), None)
        return value if isinstance(value, int) else None


class Fulfilment(_SourcedConstant):
    """Which later exam of the same lesion fulfils a follow-up: the modalities each recommendation (by KB
    id) or each escalating feature asks for (any of them), and the ladder ``satisfied_by``: an asked
    modality is fulfilled by an exam of any listed modality. A follow-up that asks for no modality is
    fulfilled by any later exam of its lesion."""

    satisfied_by: dict[Modality, list[Modality]] = Field(min_length=1)
    recommendations: dict[str, list[Modality]] = Field(default_factory=dict)
    features: dict[str, list[Modality]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _self_satisfying(self) -> Fulfilment:
        for asked, exams in self.satisfied_by.items():
            if asked not in exams:
                raise ValueError(f"satisfied_by > {asked.value}: an exam of the asked modality must fulfil it")
        for where, table in (("recommendations", self.recommendations), ("features", self.features)):
            for name, asked_list in table.items():
                for asked in asked_list:
                    if asked not in self.satisfied_by:
                        raise ValueError(f"{where} > {name}: {asked.value} has no satisfied_by entry")
        return self

    def accepted(self, asked: list[Modality]) -> list[Modality]:
        """Exam modalities that fulfil a follow-up asking for any of ``asked`` (ladder order kept)."""
        result: list[Modality] = []
        for modality in asked:
            for exam in self.satisfied_by.get(modality, [modality]):
                if exam not in result:
                    result.append(exam)
        return result


class Constants(_Strict):
    growth: GrowthThreshold
    due_days: DueDays
    child_age: ChildAge
    high_risk: HighRisk
    escalation: Escalation
    reminder_grace_days: ReminderGraceDays
    fulfilment: Fulfilment

    def items(self) -> list[tuple[str, _SourcedConstant]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


class ConstantsFile(_Strict):
    constants: Constants


class GoldenCase(_Strict):
    """finding + context + policy -> expected action and top of the differential."""

    id: str
    finding: dict[str, Any]
    context: dict[str, Any] = Field(default_factory=dict)
    policy: str = "standard"
    expect_action: Action
    expect_top: str | None = None
    expect_rules: list[str] = Field(default_factory=list)
    expect_not_rules: list[str] = Field(
        default_factory=list, description="Rules that must NOT fire (precedence checks, e.g. R15 on tumoral calcinosis)"
    )
    expect_recommendation_kinds: list[str] = Field(default_factory=list)


class GoldenFile(_Strict):
    cases: list[GoldenCase]


AnyOf.model_rebuild()
AllOf.model_rebuild()
