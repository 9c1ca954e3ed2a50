"""`kb check` on the mini KB: coverage problems and golden cases."""

from __future__ import annotations

from pathlib import Path

import yaml

from calcitrack.assess.golden import check_kb

CASES = {
    "cases": [
        {"id": "small", "finding": {"organ": "liver", "size_mm": 4}, "expect_action": "no_followup",
         "expect_top": "granuloma", "expect_rules": ["R_small"]},
        {"id": "seed", "policy": "seed", "finding": {"organ": "liver", "size_mm": 4},
         "expect_action": "surveillance", "expect_recommendation_kinds": ["imaging"]},
        {"id": "cancer", "finding": {"organ": "liver", "size_mm": 12},
         "context": {"known_primary_cancer": "ovarian"}, "expect_action": "urgent", "expect_top": "metastasis"},
        {"id": "growth", "finding": {"organ": "liver", "interval_change": "increased"}, "expect_action": "workup"},
        {"id": "ducts", "finding": {"organ": "biliary"}, "expect_action": "workup", "expect_top": "stones"},
        {"id": "other", "finding": {"organ": "other"}, "expect_action": "out_of_scope"},
        {"id": "fallback", "finding": {"organ": "spleen"}, "expect_action": "workup"},
    ]
}


def _write(tmp_path: Path, data: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_all_cases_pass_and_every_rule_is_exercised(mini_kb, tmp_path: Path) -> None:
    report = check_kb(mini_kb, _write(tmp_path, CASES))
    assert report.problems == []
    assert report.counts["golden cases"] == 7
    assert report.counts["rules"] == 7


def test_failing_case_and_unexercised_rule_are_reported(mini_kb, tmp_path: Path) -> None:
    cases = {"cases": [dict(CASES["cases"][0], expect_action="urgent"), CASES["cases"][1]]}
    report = check_kb(mini_kb, _write(tmp_path, cases))
    assert "golden case small: expected action urgent, got no_followup (rules R_small)" in report.problems
    assert "rule R_ducts is not exercised by any golden case" in report.problems
    assert not report.ok


def test_missing_explicit_golden_file(mini_kb, tmp_path: Path) -> None:
    report = check_kb(mini_kb, tmp_path / "nope.yaml")
    assert report.problems == [f"golden cases file not found: {tmp_path / 'nope.yaml'}"]


def test_unreachable_condition_and_text_gaps(mini_kb, tmp_path: Path) -> None:
    from dataclasses import replace

    texts = {"en": {"a": "A", "b": "B"}, "fr": {"a": "A"}}
    rules = tuple(r for r in mini_kb.rules if r.id != "R_ducts")
    report = check_kb(replace(mini_kb, texts=texts, rules=rules), _write(tmp_path, {"cases": []}))
    assert "condition stones is not reachable: no rule puts it in a differential" in report.problems
    assert "texts.fr.yaml: missing key 'b' (present in English)" in report.problems
