"""The lexicons and the golden cases belong to the KB: kb_version counts the lexicons, ``kb check`` validates
them and runs the golden cases shipped in the package, and a missing golden file is a problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from calcitrack.assess.golden import check_kb
from calcitrack.kb import loader
from calcitrack.kb.loader import DATA_DIR, GOLDEN_FILE, get_kb, golden_path, load_kb


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kb"
    shutil.copytree(DATA_DIR, copy)
    return copy


def test_kb_version_is_the_declared_version_plus_the_lexicon_digest() -> None:
    declared = yaml.safe_load((DATA_DIR / "sources.yaml").read_text(encoding="utf-8"))["kb_version"]
    assert re.fullmatch(re.escape(declared) + r"\+lex\.[0-9a-f]{10}", get_kb().kb_version)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_kb_version_changes_when_a_lexicon_changes(tmp_path: Path, lang: str) -> None:
    copy = _copy(tmp_path)
    assert load_kb(copy).kb_version == get_kb().kb_version
    path = copy / f"lexicon.{lang}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a reviewer's comment\n", encoding="utf-8")
    edited = load_kb(copy)
    assert edited.kb_version != get_kb().kb_version
    assert edited.kb_version.split("+")[0] == get_kb().kb_version.split("+")[0]


def test_packaged_kb_check_runs_the_shipped_golden_cases_and_both_lexicons() -> None:
    assert golden_path() == DATA_DIR / GOLDEN_FILE and golden_path().exists()
    report = check_kb(get_kb())
    assert report.ok, report.problems
    assert report.counts["golden cases"] > 100
    assert report.counts["lexicons"] == 2
    assert report.notes == []


def test_a_broken_lexicon_fails_kb_check_naming_the_file(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    data = yaml.safe_load((copy / "lexicon.fr.yaml").read_text(encoding="utf-8"))
    data["count_single"] = "(unclosed"
    (copy / "lexicon.fr.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = check_kb(load_kb(copy))
    problems = [p for p in report.problems if p.startswith("lexicon.fr.yaml: invalid lexicon at count_single")]
    assert problems, report.problems
    assert report.counts["lexicons"] == 1


def test_an_edited_kb_without_lexicons_or_golden_cases_inherits_the_packaged_ones(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    for name in ("lexicon.en.yaml", "lexicon.fr.yaml", GOLDEN_FILE):
        (copy / name).unlink()
    kb = load_kb(copy)
    assert kb.inherited_files == ("lexicon.en.yaml", "lexicon.fr.yaml", GOLDEN_FILE)
    assert kb.kb_version == get_kb().kb_version  # same lexicons, same version
    report = check_kb(kb)
    assert report.ok, report.problems
    assert f"{GOLDEN_FILE} not in the KB directory: the packaged file is used" in report.notes


def test_missing_packaged_golden_cases_fail_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An install without the golden file (broken package data) must not pass ``kb check`` silently."""
    copy = _copy(tmp_path)
    (copy / GOLDEN_FILE).unlink()
    monkeypatch.setattr(loader, "DATA_DIR", copy)  # this copy plays the packaged data
    report = check_kb(load_kb(copy))
    assert f"golden cases file not found: {copy / GOLDEN_FILE}" in report.problems
    assert not report.ok
