"""calcitrack's own EN/FR report cases (cases.yaml): expected findings, context and, where set, actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from calcitrack.models import ACTION_RANK, Report

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))


def test_enough_cases_in_both_languages() -> None:
    assert len(CASES) >= 40
    assert len([c for c in CASES if c.get("expect_action")]) >= 40  # issue 4: >= 40 cases with actions
    assert {c["lang"] for c in CASES} == {"en", "fr"}
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_findings(case: dict[str, Any]) -> None:
    from calcitrack.nlp import read_report

    reading = read_report(Report(text=case["text"], lang=case["lang"]))
    got = [f.model_dump(mode="json") for f in reading.findings]
    assert len(got) == len(case["findings"]), [f["evidence"]["text"] for f in got]
    for want, finding in zip(case["findings"], got, strict=True):
        for key, value in want.items():
            actual = finding["evidence"]["text"] if key == "anchor" else finding.get(key)
            assert actual == value, f"{case['id']}: {key} expected {value!r}, got {actual!r}"
    context = reading.context.model_dump(mode="json")
    for key, value in (case.get("context") or {}).items():
        assert context[key] == value, f"{case['id']}: context {key}"


def test_case_actions_agree() -> None:
    """Action agreement over the cases that state one (≥ 0.95); needs the packaged knowledge base."""
    from calcitrack.kb.loader import KBError
    from calcitrack.service import analyze

    with_action = [c for c in CASES if c.get("expect_action")]
    agree = 0
    misses = []
    for case in with_action:
        try:
            analysis = analyze(Report(text=case["text"], lang=case["lang"]))
        except KBError as exc:
            pytest.skip(f"knowledge base not loadable: {exc}")
        actions = [a.action for a in analysis.assessments]
        top = max(actions, key=lambda a: ACTION_RANK[a]).value if actions else None
        agree += int(top == case["expect_action"])
        if top != case["expect_action"]:
            misses.append((case["id"], case["expect_action"], top))
    assert agree / len(with_action) >= 0.95, misses
