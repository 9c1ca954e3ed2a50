"""The lexicon files load and validate; a typo is rejected with the file and key named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from calcitrack.errors import InputError
from calcitrack.kb.loader import DATA_DIR, lexicon_path
from calcitrack.nlp.lexicon import LEXICON_DIR, get_lexicon, load_lexicon_file
from calcitrack.settings import get_settings


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_shipped_lexicons_validate(lang: str) -> None:
    lex = get_lexicon(lang)
    assert lex.lang == lang and lex.targets and lex.stems


def _broken(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load((LEXICON_DIR / "lexicon.en.yaml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "lexicon.en.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_invalid_regex_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"lexicon\.en\.yaml: invalid lexicon at count_single"):
        load_lexicon_file(_broken(tmp_path, {"count_single": "(unclosed"}))


def test_unknown_key_and_upper_case_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="synonyms"):
        load_lexicon_file(_broken(tmp_path, {"synonyms": ["x"]}))
    with pytest.raises(InputError, match="lower case"):
        load_lexicon_file(_broken(tmp_path, {"count_single": r"\bOne\b"}))


def test_synonym_needs_no_code(tmp_path: Path) -> None:
    data = yaml.safe_load((LEXICON_DIR / "lexicon.en.yaml").read_text(encoding="utf-8"))
    data["organs"]["liver"].append({"regex": r"\bjecur\b"})
    path = tmp_path / "lexicon.en.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any(cue.regex == r"\bjecur\b" for cue in load_lexicon_file(path).organs["liver"])  # type: ignore[index]


def _kb_with_jecur(tmp_path: Path) -> Path:
    """A KB directory holding only an English lexicon where "jecur" names the liver."""
    data = yaml.safe_load((LEXICON_DIR / "lexicon.en.yaml").read_text(encoding="utf-8"))
    data["organs"]["liver"].append({"regex": r"\bjecur\b"})
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "lexicon.en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return kb


def test_the_reader_takes_its_lexicon_from_calcitrack_kb_dir(tmp_path: Path) -> None:
    """In a fresh process (the lexicon is read once per process): the edited copy changes the reading."""
    script = ("from calcitrack.models import Report\nfrom calcitrack.nlp import read_report\n"
              "print([f.organ.value for f in read_report(Report(text='Jecur: a 4 mm calcification.', lang='en'))"
              ".findings])")
    env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_KB_DIR"}
    packaged = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    edited_env = {**env, "CALCITRACK_KB_DIR": str(_kb_with_jecur(tmp_path))}
    edited = subprocess.run([sys.executable, "-c", script], env=edited_env, capture_output=True, text=True, check=True)
    assert packaged.stdout.strip() == "['other']"
    assert edited.stdout.strip() == "['liver']"


def test_lexicon_path_follows_the_setting_and_inherits_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = _kb_with_jecur(tmp_path)
    monkeypatch.setenv("CALCITRACK_KB_DIR", str(kb))
    get_settings.cache_clear()
    try:
        assert lexicon_path("en") == kb / "lexicon.en.yaml"
        assert lexicon_path("fr") == DATA_DIR / "lexicon.fr.yaml"  # not in the copy: the packaged one
    finally:
        monkeypatch.delenv("CALCITRACK_KB_DIR")
        get_settings.cache_clear()
    assert lexicon_path("en") == DATA_DIR / "lexicon.en.yaml"
