"""The lexicon files load and validate; a typo is rejected with the file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from calcitrack.errors import InputError
from calcitrack.nlp.lexicon import LEXICON_DIR, get_lexicon, literal_guard, load_lexicon_file


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


def test_literal_guard() -> None:
    assert literal_guard(r"\bcirrho\w+|\bhepatitis\s+[bc]\b") == ("cirrho", "hepatitis")
    assert literal_guard(r"(?:a|b)c") is None
