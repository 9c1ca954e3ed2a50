"""Property-based tests (Hypothesis) of the decision engine over the packaged knowledge base.

Only properties the design guarantees are asserted (DESIGN §3-4, rules.yaml header, models.Organ):
every affirmed finding in any patient context gets exactly one action from the defined set; the
assessment is deterministic; it cites only rules, sources and conditions that exist in the KB and the
policy it ran under; negated (and historical) mentions get no assessment; organ ``other`` is out of scope.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reliability import Recorder, scale

from calcitrack.assess import AssessmentError, assess, assess_findings
from calcitrack.kb import get_kb
from calcitrack.models import (
    CANCER_SITES,
    Action,
    Finding,
    IntervalChange,
    Organ,
    PatientContext,
    Pattern,
    Section,
    Tier,
)

pytestmark = pytest.mark.reliability

SITES = [None, "right_lobe", "left_lobe", "segment_VII", "dome", "intrahepatic_duct", "tendon", "periarticular_hip",
         "gallbladder", "caudate", "unknown-site", "' OR 1=1"]
maybe_bool = st.sampled_from([None, True, False])

findings = st.builds(
    Finding,
    id=st.sampled_from(["f1", "f2"]),
    organ=st.sampled_from(list(Organ)),
    site=st.sampled_from(SITES),
    count=st.one_of(st.none(), st.integers(min_value=1, max_value=99), st.sampled_from(["single", "multiple"])),
    size_mm=st.one_of(st.none(), st.floats(min_value=0.1, max_value=1000, allow_nan=False)),
    pattern=st.one_of(st.none(), st.sampled_from(list(Pattern))),
    acoustic_shadow=maybe_bool, duct_dilatation=maybe_bool, associated_mass=maybe_bool,
    interval_change=st.one_of(st.none(), st.sampled_from(list(IntervalChange))),
    negated=st.booleans(), uncertain=st.booleans(), historical=st.booleans(),
    section=st.sampled_from(list(Section)), lang=st.sampled_from(["en", "fr"]),
)
contexts = st.builds(
    PatientContext,
    age=st.one_of(st.none(), st.integers(min_value=0, max_value=130)),
    sex=st.sampled_from([None, "female", "male", "other"]),
    pregnant=maybe_bool, fetal_finding=maybe_bool,
    known_primary_cancer=st.one_of(st.none(), st.sampled_from(list(CANCER_SITES))),
    chronic_liver_disease=maybe_bool, granulomatous_exposure=maybe_bool, endemic_exposure=maybe_bool,
    immunosuppressed=maybe_bool, ckd_dialysis=maybe_bool, fever=maybe_bool, jaundice=maybe_bool,
    weight_loss=maybe_bool, raised_afp=maybe_bool, prior_trauma=maybe_bool,
)


def test_every_finding_in_every_context_gets_one_valid_action(reliability: Recorder) -> None:
    kb = get_kb()
    rule_ids = {rule.id for rule in kb.rules}
    examples = scale(150, 2000)
    tried = 0
    actions: dict[str, int] = {}

    @given(finding=findings, context=contexts, policy=st.sampled_from([None, *sorted(kb.policies)]),
           lang=st.sampled_from(["en", "fr"]))
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(finding: Finding, context: PatientContext, policy: str | None, lang: str) -> None:
        nonlocal tried
        tried += 1
        if finding.negated:
            with pytest.raises(AssessmentError, match="negated"):
                assess(finding, context, policy=policy, lang=lang)
            assert assess_findings([finding], context, policy=policy) == []
            return
        result = assess(finding, context, policy=policy, lang=lang)
        assert result == assess(finding, context, policy=policy, lang=lang)  # deterministic
        assert result.action in set(Action)
        actions[result.action.value] = actions.get(result.action.value, 0) + 1
        assert result.finding_id == finding.id
        assert result.policy == kb.resolve_policy(policy) and result.kb_version == kb.kb_version
        assert set(result.rules_fired) <= rule_ids
        assert set(result.sources) <= set(kb.sources)
        assert all(entry.condition_id in kb.conditions and entry.tier in set(Tier) for entry in result.differential)
        if finding.organ is Organ.other and finding.site is None:
            # Organ "other" without a site is out of scope (models.Organ). With a site, site rules may fire:
            # e.g. R27 (porcelain gallbladder) keys on site=gallbladder alone, and gives work-up.
            assert result.action is Action.out_of_scope
        assessed = assess_findings([finding], context, policy=policy, lang=lang)
        assert len(assessed) == (0 if finding.historical else 1)

    run()
    reliability.row(area="fuzzing", check="Decision engine on generated findings x patient contexts (Hypothesis)",
                    inputs=f"{tried:,} generated (finding, context, policy) triples",
                    result="0 crashes; every affirmed finding got one action from the defined set, deterministic, "
                           "citing only KB rules/sources; negated -> no assessment; organ other (no site) -> "
                           "out_of_scope "
                           f"(actions seen: {', '.join(f'{k} {v}' for k, v in sorted(actions.items()))})")
