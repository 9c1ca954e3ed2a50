"""Loading the KB: structure, references and clear error messages naming file and item."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from tests.conftest import mini_kb_files, write_kb

from calcitrack.kb import KBError, load_kb


def _broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    files = copy.deepcopy(mini_kb_files())
    mutate(files)
    return write_kb(tmp_path / "broken", files)


def test_mini_kb_loads(mini_kb) -> None:
    assert mini_kb.kb_version.startswith("test-1+lex.")  # declared version + digest of the lexicons used
    assert set(mini_kb.conditions) == {"granuloma", "metastasis", "stones"}
    assert mini_kb.rule("R_small").action.value == "no_followup"


def test_rule_citing_missing_source(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["sources"] = ["S404"]

    with pytest.raises(KBError, match=r"rules.yaml: rule R_small cites source 'S404', which is not in sources.yaml"):
        load_kb(_broken(tmp_path, mutate))


def test_unknown_fact_name(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["when"][1]["field"] = "finding.sise_mm"

    with pytest.raises(KBError, match=r"rule R_small: unknown field 'finding.sise_mm'"):
        load_kb(_broken(tmp_path, mutate))


def test_wrong_value_type_for_fact(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["when"][0]["value"] = "lungs"

    with pytest.raises(KBError, match=r"'lungs' is not one of"):
        load_kb(_broken(tmp_path, mutate))


def test_comparison_needs_a_number(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["when"][1]["value"] = "ten"

    with pytest.raises(KBError, match=r"rules.yaml: rules > #1 \(R_small\) > when"):
        load_kb(_broken(tmp_path, mutate))


def test_unknown_condition_and_policy(tmp_path: Path) -> None:
    def bad_condition(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["differential"][0]["condition"] = "unicorn"

    with pytest.raises(KBError, match="unknown condition 'unicorn'"):
        load_kb(_broken(tmp_path, bad_condition))

    def bad_policy(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][0]["policies"] = ["cautious"]

    with pytest.raises(KBError, match="unknown policy 'cautious'"):
        load_kb(_broken(tmp_path / "p", bad_policy))


def test_duplicate_ids(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"].append(copy.deepcopy(files["rules.yaml"]["rules"][0]))

    with pytest.raises(KBError, match="duplicate rule id 'R_small'"):
        load_kb(_broken(tmp_path, mutate))


def test_statement_without_sources(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["conditions.yaml"]["conditions"][0]["summary"]["sources"] = []

    with pytest.raises(KBError, match=r"conditions.yaml: conditions > #1 \(granuloma\) > summary > sources"):
        load_kb(_broken(tmp_path, mutate))


def test_missing_french_text(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        del files["rules.yaml"]["rules"][0]["title"]["fr"]

    with pytest.raises(KBError, match=r"title > fr: Field required"):
        load_kb(_broken(tmp_path, mutate))


def test_invalid_yaml_names_the_line(tmp_path: Path, mini_kb_dir: Path) -> None:
    (mini_kb_dir / "rules.yaml").write_text("rules:\n  - id: R1\n    title: [unclosed\n", encoding="utf-8")
    with pytest.raises(KBError, match=r"rules.yaml: line \d+ invalid YAML"):
        load_kb(mini_kb_dir)


def test_missing_file_and_bad_encoding(mini_kb_dir: Path) -> None:
    (mini_kb_dir / "claims.yaml").write_bytes(b"claims: [\xff\xfe]")
    with pytest.raises(KBError, match=r"claims\.yaml: not UTF-8"):
        load_kb(mini_kb_dir)
    (mini_kb_dir / "claims.yaml").unlink()
    with pytest.raises(KBError, match=r"claims\.yaml: file not found"):
        load_kb(mini_kb_dir)


def test_probe_on_derived_fact_is_refused(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["questions.yaml"]["questions"][0]["probes"][0] = {"field": "context.known_cancer", "value": True}

    with pytest.raises(KBError, match="derived"):
        load_kb(_broken(tmp_path, mutate))


def test_fallback_rule_needs_flag(tmp_path: Path) -> None:
    def mutate(files):  # type: ignore[no-untyped-def]
        files["rules.yaml"]["rules"][-1]["fallback"] = False

    with pytest.raises(KBError, match="must be marked fallback"):
        load_kb(_broken(tmp_path, mutate))
