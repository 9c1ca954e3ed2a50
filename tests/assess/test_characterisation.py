"""R0 on the real KB: the report's own words (finding.characterisation) as facts, and the size question."""

from __future__ import annotations

from pathlib import Path

import yaml

from calcitrack.assess.engine import _clause_holds, assess
from calcitrack.assess.golden import check_kb
from calcitrack.kb.schema import Clause
from calcitrack.lesions import as_lesion
from calcitrack.models import Action, Characterisation, Finding, PatientContext


def _called(*labels: str, **fields) -> Finding:  # type: ignore[no-untyped-def]
    return Finding(characterisation=[Characterisation(label=label) for label in labels], **fields)


def test_contains_and_not_contains_on_lists() -> None:
    any_of = Clause(field="finding.characterisation", op="contains", value=["granuloma", "benign"])
    none_of = Clause(field="finding.characterisation", op="not_contains", value=["suspicious", "metastasis"])
    assert _clause_holds(any_of, ["small", "benign"]) and not _clause_holds(any_of, ["small"])
    assert not _clause_holds(any_of, []) and not _clause_holds(any_of, None)
    assert _clause_holds(none_of, ["granuloma"]) and _clause_holds(none_of, []) and _clause_holds(none_of, None)
    assert not _clause_holds(none_of, ["granuloma", "suspicious"])
    single = Clause(field="finding.characterisation", op="contains", value="stone")
    assert _clause_holds(single, ["stone"]) and not _clause_holds(single, ["cyst"])


def test_granuloma_without_size_is_benign_and_asks_the_size() -> None:
    result = assess(_called("granuloma", organ="liver"), PatientContext(age=50, known_primary_cancer="none"))
    assert result.action == Action.no_followup
    assert "R1" in result.rules_fired and "R_fallback" not in result.rules_fired
    assert "Q15" in result.missing_information_ids  # a size over 10 mm would make it work-up (R2)


def test_size_question_not_asked_when_size_known() -> None:
    result = assess(Finding(organ="liver", size_mm=4, pattern="punctate"), PatientContext(age=50))
    assert result.action == Action.no_followup
    assert "Q15" not in result.missing_information_ids


def test_size_question_in_french() -> None:
    result = assess(_called("small", organ="liver", lang="fr"), lang="fr")
    index = result.missing_information_ids.index("Q15")
    assert result.missing_information[index].startswith("Quelle est la taille")


def test_pain_is_not_asked_as_it_changes_nothing() -> None:
    """Q5 is still asked (fever, jaundice change the action) but pain alone would not; R1 stands with pain."""
    with_pain = assess(Finding(organ="liver", size_mm=5), PatientContext(abdominal_pain=True))
    assert with_pain.action == Action.no_followup


def test_lesion_merges_characterisation_of_its_mentions() -> None:
    lesion = as_lesion(_called("ce5", organ="liver", size_mm=42, pattern="rim"))
    result = assess(lesion)
    assert result.action == Action.surveillance and result.rules_fired == ["R7_inactive"]


def test_expect_not_rules_is_checked(tmp_path: Path) -> None:
    from calcitrack.kb.loader import get_kb

    cases = {"cases": [{
        "id": "ce5_no_r7", "finding": {"organ": "liver", "size_mm": 42, "pattern": "rim"},
        "expect_action": "workup", "expect_not_rules": ["R7"],
    }]}
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(cases), encoding="utf-8")
    report = check_kb(get_kb(), path)
    assert "golden case ce5_no_r7: rules fired that must not: R7" in report.problems


def test_compiled_rules_agree_with_holds_on_every_golden_case() -> None:
    """The engine evaluates compiled predicates; they must decide exactly as :func:`holds` reads the YAML."""
    from calcitrack.assess.engine import _ruleset, holds
    from calcitrack.assess.golden import load_golden
    from calcitrack.kb.facts import facts_for
    from calcitrack.kb.loader import get_kb, golden_path

    kb = get_kb()
    for case in load_golden(golden_path()):
        facts = facts_for(Finding.model_validate(case.finding), PatientContext.model_validate(case.context))
        ruleset = _ruleset(kb, case.policy)
        expected = [all(holds(t, facts) for t in rule.when) for rule in ruleset.rules]
        assert ruleset.check(facts) == expected, case.id
