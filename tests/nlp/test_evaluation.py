"""Report-action scoring of ``calcitrack eval`` (``nlp.evaluation.score_actions``) and the command's output.

The rule is the official scorer's (shared/corpus/score.py): the system's report action is the highest
``action`` among the Analysis' assessments; a gold list accepts any of its actions; a null gold action is
not scored. The command tests replace the analysis by fixed answers so that they do not move when the
rules are tuned.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calcitrack.errors import InputError
from calcitrack.models import Analysis, Assessment, Report, Summary
from calcitrack.nlp.evaluation import (
    ACTION_ORDER,
    GoldDoc,
    gold_actions,
    load_gold,
    score_actions,
    system_action,
)

SELFCHECK = Path(__file__).resolve().parents[1] / "data" / "selfcheck" / "cases_selfcheck.jsonl"


def _analysis(*actions: str, summary: str | None = "same") -> dict[str, Any]:
    top = system_action({"assessments": [{"action": a} for a in actions]})
    return {
        "findings": [],
        "assessments": [{"finding_id": f"f{i}", "action": a} for i, a in enumerate(actions, start=1)],
        "summary": {"action": top if summary == "same" else summary},
    }


def _doc(key: str, action: Any, lang: str = "en") -> GoldDoc:
    return GoldDoc(id=f"{lang}-{key}", lang=lang, text="x", findings=[], action=action)


def test_system_action_is_the_highest_assessment() -> None:
    assert system_action({"assessments": []}) is None
    assert system_action({}) is None
    assert system_action(_analysis("no_followup", "urgent", "surveillance")) == "urgent"
    assert system_action(_analysis("out_of_scope", "no_followup")) == "no_followup"
    assert system_action(_analysis("out_of_scope")) == "out_of_scope"


def test_matrix_agreement_lists_and_nulls() -> None:
    docs = [
        _doc("1", "no_followup"),
        _doc("2", "urgent"),
        _doc("3", ["surveillance", "workup"], lang="fr"),
        _doc("4", ["surveillance", "workup"], lang="fr"),
        _doc("5", None),
        _doc("6", "workup", lang="fr"),
    ]
    analyses = {
        "en-1": _analysis("no_followup"),
        "en-2": _analysis("surveillance", "no_followup"),  # under-call of urgent
        "fr-3": _analysis("workup"),  # accepted (second of the list)
        "fr-4": _analysis("urgent"),  # over-call, row = first listed action
        "en-5": _analysis("workup"),  # not scored
        "fr-6": {"findings": [], "assessments": [], "summary": {"action": None}},  # no assessment
    }
    result, misses = score_actions(docs, analyses)
    assert result["n"] == 5
    assert result["scored"] == {"all": 5, "en": 2, "fr": 3}
    assert result["agreement"] == {"all": 0.4, "en": 0.5, "fr": 0.333}
    matrix = result["matrix"]
    assert matrix["no_followup"]["no_followup"] == 1
    assert matrix["urgent"]["surveillance"] == 1
    assert matrix["workup"]["workup"] == 1
    assert matrix["surveillance"]["urgent"] == 1
    assert matrix["workup"]["none"] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 5
    assert set(matrix) == set(ACTION_ORDER)
    assert result["under_calls_urgent"] == 1 and result["under_calls_urgent_ids"] == ["en-2"]
    assert result["under_calls"] == 2 and result["over_calls"] == 1
    assert result["unscored"]["workup"] == 1
    assert result["summary_disagreements"] == 0 and result["summary_agreement"] == 0.4
    assert sorted(m.split(":")[0] for m in misses) == ["en-2", "fr-4", "fr-6"]
    assert "en-2: action gold=urgent got=surveillance" in misses


def test_urgent_under_call_counts_no_assessment_and_spares_workup() -> None:
    docs = [_doc("a", "urgent"), _doc("b", "urgent"), _doc("c", ["workup", "urgent"])]
    analyses = {
        "en-a": _analysis("workup"),  # a miss, but not below workup
        "en-b": {"findings": [], "assessments": []},  # no summary key: nothing to compare
        "en-c": _analysis("no_followup"),
    }
    result, _ = score_actions(docs, analyses)
    assert result["under_calls_urgent_ids"] == ["en-b", "en-c"]
    assert result["agreement"]["all"] == 0.0


def test_summary_action_disagreement_is_reported() -> None:
    docs = [_doc("1", "no_followup"), _doc("2", None)]
    analyses = {"en-1": _analysis("no_followup"), "en-2": _analysis("out_of_scope", summary=None)}
    result, _ = score_actions(docs, analyses)
    assert result["summary_disagreements"] == 1
    assert result["summary_disagreement_ids"] == ["en-2"]
    assert result["summary_agreement"] == 1.0  # en-2 is not scored


def test_unknown_gold_action_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown gold action"):
        score_actions([_doc("1", "follow_up")], {"en-1": _analysis("workup")})


# --- the eval command ---------------------------------------------------------------------------------

GOLD_TEXTS = {
    "t1": "LIVER: A 4 mm calcified granuloma in segment VII. IMPRESSION: benign, no follow-up.",
    "t2": "Known colon cancer. Several new calcified liver lesions up to 25 mm.",
    "t3": "Lungs: a calcified granuloma in the right upper lobe. Liver normal.",
}
ANSWERS = {"en-t1": "no_followup", "en-t2": "surveillance", "en-t3": "out_of_scope"}


def _write_gold(path: Path) -> Path:
    rows = [
        {"id": "t1", "lang": "en", "text": GOLD_TEXTS["t1"], "findings": [], "action": "no_followup"},
        {"id": "t2", "lang": "en", "text": GOLD_TEXTS["t2"], "findings": [], "action": "urgent"},
        {"id": "t3", "lang": "en", "text": GOLD_TEXTS["t3"], "findings": [], "action": None},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def fixed_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """``nlp_cmds.analyze`` answers from ANSWERS; t3's summary is null (out-of-scope organ) as the service does."""
    from calcitrack.cli import nlp_cmds

    def fake(report: Report, context: Any = None, policy: Any = None) -> Analysis:
        action = ANSWERS[report.id]
        return Analysis(
            report=report,
            assessments=[Assessment(finding_id="f1", lesion_id="l1", action=action)],
            summary=Summary(action=None if action == "out_of_scope" else action),
        )

    monkeypatch.setattr(nlp_cmds, "analyze", fake)


def _app() -> Any:
    from calcitrack.cli import app as app_module

    if "eval" not in {c.name for c in app_module.app.registered_commands}:
        app_module._register_all()
    return app_module.app


def test_eval_text_prints_matrix_and_json_last_line(tmp_path: Path, fixed_analysis: None) -> None:
    result = CliRunner().invoke(_app(), ["eval", str(_write_gold(tmp_path / "gold.jsonl")), "--show"])
    assert result.exit_code == 0, result.output
    assert "gold (rows) x system (columns)" in result.output
    assert "under-calls of urgent (gold urgent, system below workup): 1 (en-t2)" in result.output
    assert "en-t2: action gold=urgent got=surveillance" in result.output
    assert "summary.action differs from the scorer's rule: 1 (en-t3)" in result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert last["actions"]["agreement"] == {"all": 0.5, "en": 0.5}
    assert last["actions"]["matrix"]["urgent"]["surveillance"] == 1
    assert last["actions"]["unscored"]["out_of_scope"] == 1
    assert last["actions"]["summary_agreement"] == 0.5


def test_eval_json_format_is_one_document(tmp_path: Path, fixed_analysis: None) -> None:
    result = CliRunner().invoke(_app(), ["eval", str(_write_gold(tmp_path / "gold.jsonl")), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["actions"]["n"] == 2 and data["actions"]["under_calls_urgent"] == 1
    assert data["actions"]["matrix"]["no_followup"] == {
        "out_of_scope": 0, "no_followup": 1, "surveillance": 0, "workup": 0, "urgent": 0, "none": 0}
    assert "en" in data and "misses" not in data


def test_eval_without_gold_actions_has_no_action_block(tmp_path: Path, fixed_analysis: None) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "t1", "lang": "en", "text": GOLD_TEXTS["t1"], "findings": []}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(_app(), ["eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "gold (rows)" not in result.output
    assert "actions" not in json.loads(result.output.strip().splitlines()[-1])


# --- the self-check set (tests/data/selfcheck): its offsets must hold; its figures are not asserted ------


@pytest.mark.parametrize(
    ("path", "per_language"),
    [
        (SELFCHECK, 10),
        (SELFCHECK.parent.parent / "selfcheck2" / "cases_selfcheck2.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck4" / "selfcheck4.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck5" / "selfcheck5.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck6" / "selfcheck6.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck7" / "selfcheck7.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck8" / "selfcheck8.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck9" / "selfcheck9.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck10" / "selfcheck10.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck11" / "selfcheck11.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck12" / "selfcheck12.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck13" / "selfcheck13.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck14" / "selfcheck14.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck15" / "selfcheck15.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck16" / "selfcheck16.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck17" / "selfcheck17.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck18" / "selfcheck18.jsonl", 10),
        (SELFCHECK.parent.parent / "selfcheck19" / "selfcheck19.jsonl", 10),
        (SELFCHECK.parent.parent / "twins" / "cases_twins.jsonl", 20),
    ],
)
def test_written_sets_offsets_and_occurrences(path: Path, per_language: int) -> None:
    docs = load_gold(path)
    assert sorted(d.lang for d in docs) == ["en"] * per_language + ["fr"] * per_language
    for doc in docs:
        for mention in doc.findings:
            start, end = mention["start"], mention["end"]
            assert doc.text[start:end] == mention["anchor"], (doc.id, mention["anchor"])
            starts = [m.start() for m in re.finditer(re.escape(mention["anchor"]), doc.text)]  # as score.py
            assert starts[mention["occ"]] == start, (doc.id, mention["anchor"], mention["occ"])
        gold_actions(doc)  # null, one action or a list of actions, each a known level


def test_gold_sources_resolve_under_the_corpus_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``CALCITRACK_CORPUS`` is read through the settings object (one place, one error format)."""
    from calcitrack.settings import get_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "reports.jsonl").write_text(json.dumps({"id": 7, "text": "A calcification."}) + "\n", encoding="utf-8")
    gold = tmp_path / "elsewhere" / "gold" / "dev.jsonl"
    gold.parent.mkdir(parents=True)
    gold.write_text(json.dumps({"id": "d1", "lang": "en", "source": "reports.jsonl#7", "findings": []}) + "\n",
                    encoding="utf-8")
    monkeypatch.setenv("CALCITRACK_CORPUS", str(corpus))
    get_settings.cache_clear()
    try:
        assert load_gold(gold)[0].text == "A calcification."
    finally:
        monkeypatch.delenv("CALCITRACK_CORPUS")
        get_settings.cache_clear()
    with pytest.raises(InputError, match=r"reports.jsonl#7: cannot read .*elsewhere/reports.jsonl: No such file"):
        load_gold(gold)  # without the setting: the gold file's own corpus directory, which lacks the report
