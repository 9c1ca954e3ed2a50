"""The core commands as a new user runs them: a real process, the packaged knowledge base."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from calcitrack.kb.loader import DATA_DIR


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {k: v for k, v in os.environ.items() if k != "CALCITRACK_POLICY"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def assess_json(*flags: str) -> dict:  # type: ignore[type-arg]
    result = run("assess", *flags, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_large_liver_calcification_needs_workup_with_ct_or_mri() -> None:
    out = assess_json("--organ", "liver", "--size-mm", "35", "--count", "1")
    assert out["action"] == "workup"
    imaging = " ".join(r["what"] for r in out["recommendations"] if r["kind"] == "imaging")
    assert "CT" in imaging and "MRI" in imaging
    assert "001_dd7f0f2c5de1355f.txt" in out["sources"]
    assert any(s.startswith("S") for s in out["sources"])
    assert out["policy"] == "standard" and out["kb_version"]


def test_known_mucinous_cancer_and_growth_is_urgent_metastasis_first() -> None:
    out = assess_json("--organ", "liver", "--size-mm", "35", "--count", "1",
                      "--known-cancer", "colorectal-mucinous", "--interval-change", "increased")
    assert out["action"] == "urgent"
    assert out["differential"][0]["condition_id"] == "calcified_metastasis"


def test_small_punctate_focus_depends_on_policy() -> None:
    flags = ("--organ", "liver", "--size-mm", "4", "--count", "1", "--pattern", "punctate")
    standard = assess_json(*flags, "--policy", "standard")
    assert standard["action"] == "no_followup"
    assert {"Q1", "Q2"} <= set(standard["missing_information_ids"])
    seed = assess_json(*flags, "--policy", "seed")
    assert seed["action"] == "surveillance"
    [us] = [r for r in seed["recommendations"] if r["kind"] == "imaging"]
    assert (us["interval"], us["duration"]) == ("P3M..P6M", "P2Y..P3Y")
    assert "002_c8ceab6e90325564.txt" in seed["sources"]


def test_policy_from_environment_variable() -> None:
    result = run("assess", "--organ", "liver", "--size-mm", "4", "--count", "1", "--pattern", "punctate",
                 "--format", "json", env={"CALCITRACK_POLICY": "seed"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["policy"], out["action"]) == ("seed", "surveillance")


def test_ductal_stones_need_mrcp() -> None:
    out = assess_json("--organ", "biliary", "--count", "multiple", "--pattern", "ductal", "--duct-dilatation")
    assert out["action"] == "workup"
    assert out["differential"][0]["condition_id"] == "hepatolithiasis"
    assert any("MRCP" in r["what"] for r in out["recommendations"])


def test_other_organ_is_out_of_scope() -> None:
    assert assess_json("--organ", "other", "--size-mm", "5")["action"] == "out_of_scope"


def test_text_output_is_what_a_radiologist_reads() -> None:
    result = run("assess", "--organ", "liver", "--size-mm", "4", "--count", "1", "--pattern", "punctate",
                 "--policy", "seed")
    assert result.returncode == 0, result.stderr
    assert "Surveillance" in result.stdout
    assert "every 3 to 6 months for 2 to 3 years" in result.stdout
    assert "Sources:" in result.stdout
    french = run("assess", "--organ", "liver", "--size-mm", "4", "--pattern", "punctate", "--policy", "seed",
                 "--lang", "fr")
    assert "tous les 3 à 6 mois pendant 2 à 3 ans" in french.stdout
    assert "[bold]" not in french.stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--organ", "liver", "--size-mm", "-3"), "size_mm"),
        (("--organ", "lungs"), "organ"),
        (("--organ", "liver", "--policy", "cautious"), "unknown policy 'cautious'"),
        (("--organ", "liver", "--known-cancer", "elbow"), "unknown cancer site"),
        (("--organ", "liver", "--count", "0"), "count"),
    ],
)
def test_bad_input_gives_one_clear_line(flags: tuple[str, ...], message: str) -> None:
    result = run("assess", *flags)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_kb_with_rule_citing_missing_source_is_refused(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for path in DATA_DIR.glob("*.yaml"):
        (kb / path.name).write_bytes(path.read_bytes())
    rules = yaml.safe_load((kb / "rules.yaml").read_text(encoding="utf-8"))
    rules["rules"][0]["sources"].append("S999")
    (kb / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    for args in (("kb", "check"), ("assess", "--organ", "liver")):
        result = run(*args, env={"CALCITRACK_KB_DIR": str(kb)})
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert "cites source 'S999', which is not in sources.yaml" in result.stderr


def test_kb_check_passes_on_the_packaged_kb() -> None:
    result = run("kb", "check")  # the golden cases ship with the KB
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kb check: ok" in result.stdout


def test_kb_show_and_rules() -> None:
    show = run("kb", "show", "calcified_granuloma", "--lang", "fr")
    assert show.returncode == 0, show.stderr
    assert "granulome" in show.stdout.lower()
    missing = run("kb", "show", "unicorn")
    assert missing.returncode == 2 and "unknown condition 'unicorn'" in missing.stderr
    rules = run("kb", "rules", "--format", "json")
    assert rules.returncode == 0
    assert all(rule["sources"] for rule in json.loads(rules.stdout))


def test_schema_command() -> None:
    result = run("schema")
    assert result.returncode == 0
    schemas = set(json.loads(result.stdout)["schemas"])
    assert schemas == {"Analysis", "Finding", "Lesion", "Assessment", "PatientContext"}
