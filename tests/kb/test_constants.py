"""Clinical constants in the KB (constants.yaml): loaded, sourced, range-checked, used by the facts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import mini_kb_files, write_kb

from calcitrack.assess.golden import check_kb
from calcitrack.kb import KBError, load_kb
from calcitrack.kb.facts import derivation, facts_for
from calcitrack.kb.loader import DATA_DIR, get_kb
from calcitrack.models import Finding, PatientContext


def _constants() -> dict[str, Any]:
    data = yaml.safe_load((DATA_DIR / "constants.yaml").read_text(encoding="utf-8"))
    for constant in data["constants"].values():
        constant["sources"] = ["S1"]  # the mini KB knows only S1
    return data


def _kb_dir(tmp_path: Path, mutate=None) -> Path:  # type: ignore[no-untyped-def]
    files = copy.deepcopy(mini_kb_files())
    files["constants.yaml"] = _constants()
    if mutate:
        mutate(files["constants.yaml"]["constants"])
    return write_kb(tmp_path / "kb", files)


def test_packaged_constants_and_their_attribute_names() -> None:
    constants = get_kb().constants
    assert (constants.growth.min_mm, constants.growth.min_fraction) == (2.0, 0.20)
    assert (constants.due_days.surveillance, constants.due_days.workup, constants.due_days.urgent) == (180, 30, 7)
    assert constants.due_days.for_action("workup") == 30 and constants.due_days.for_action("no_followup") is None
    assert constants.child_age.limit_years == 16
    assert constants.high_risk.any_of == ["context.known_cancer", "context.chronic_liver_disease"]
    assert constants.escalation.on_growth is True
    assert constants.escalation.new_features == ["associated_mass", "duct_dilatation"]
    assert constants.escalation.minimum_action.value == "workup"
    for name, constant in constants.items():
        assert constant.sources and constant.note, name


def test_kb_check_counts_constants() -> None:
    report = check_kb(get_kb())
    assert report.counts["constants"] == 7
    assert report.ok, report.problems


def test_kb_without_constants_inherits_the_packaged_ones(mini_kb) -> None:
    assert mini_kb.constants_inherited
    assert mini_kb.constants.child_age.limit_years == 16
    report = check_kb(mini_kb, Path("/nonexistent/cases.yaml"))
    assert report.counts["constants"] == 7


def test_own_constants_change_the_derived_facts(tmp_path: Path) -> None:
    def mutate(constants):  # type: ignore[no-untyped-def]
        constants["child_age"]["limit_years"] = 18
        constants["high_risk"]["any_of"] = ["context.chronic_liver_disease"]

    kb = load_kb(_kb_dir(tmp_path, mutate))
    assert not kb.constants_inherited
    facts = facts_for(Finding(organ="liver"), PatientContext(age=17, known_primary_cancer="breast"), kb.constants)
    assert facts["context.child"] is True
    assert facts["context.high_risk"] is None  # cancer no longer counts; liver disease unknown
    default = facts_for(Finding(organ="liver"), PatientContext(age=17, known_primary_cancer="breast"))
    assert default["context.child"] is False and default["context.high_risk"] is True
    assert derivation(kb.constants) is derivation(kb.constants)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["growth"].update(min_fraction=1.5), r"constants.yaml: constants > growth > min_fraction"),
        (lambda c: c["growth"].update(min_mm=0), r"constants.yaml: constants > growth > min_mm"),
        (lambda c: c["due_days"].update(urgent=60), r"constants.yaml: constants > due_days"),
        (lambda c: c["due_days"].update(workup=400), r"constants.yaml: constants > due_days"),
        (lambda c: c["child_age"].update(limit_years=40), r"constants.yaml: constants > child_age"),
        (lambda c: c["child_age"].update(sources=[]), r"constants.yaml: constants > child_age > sources"),
        (lambda c: c["child_age"].update(sources=["S404"]), r"constants.yaml: child_age cites source 'S404'"),
        (lambda c: c["child_age"].pop("note"), r"constants.yaml: constants > child_age > note"),
        (lambda c: c["high_risk"].update(any_of=["context.age"]), r"'context.age' is not a true/false context fact"),
        (lambda c: c["high_risk"].update(any_of=["context.high_risk"]), r"derived from this definition"),
        (lambda c: c["escalation"].update(new_features=["size_mm"]), r"'size_mm' is not a true/false finding field"),
        (lambda c: c["escalation"].update(minimum_action="soon"), r"constants.yaml: constants > escalation"),
        (lambda c: c.pop("growth"), r"constants.yaml: constants > growth"),
    ],
)
def test_bad_constants_are_clear_errors(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KBError, match=message):
        load_kb(_kb_dir(tmp_path, mutate))
