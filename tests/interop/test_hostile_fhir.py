"""Hostile FHIR input: Hypothesis mutations of valid DiagnosticReport and Bundle JSON, and raw byte
damage, through the reader that ``calcitrack fhir convert`` / ``fhir ingest`` use (``load_json`` +
``read_reports``), plus the real ``fhir convert`` command on a few of them.

Goal: every input is converted or refused with an :class:`InputError` whose message names the source and
the field (``DiagnosticReport.status``, ``Bundle.entry[0].resource.presentedForm[1].data`` ...) - never
another exception, never a traceback. (No HTTP endpoint takes FHIR resources; the CDS Hooks endpoints,
which take JSON, are fuzzed from the OpenAPI document in tests/api/test_fuzz.py.)
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.interop.helpers import DATA, load, run_cli
from tests.reliability import Recorder, scale

from calcitrack.errors import InputError
from calcitrack.interop.fhir_in import load_json, read_reports

pytestmark = pytest.mark.reliability

SOURCES = ["diagnosticreport_en.json", "diagnosticreport_conclusion_fr.json", "bundle_reports.json"]
NAMES_A_PLACE = ("DiagnosticReport", "Bundle", "resourceType", "not valid JSON", "not UTF-8", "JSON object")
JUNK: list[Any] = [None, "", " ", 0, -1, 1e308, True, [], {}, [None], {"x": 1}, "not base64 !!", "AAAA",
                   "2026-13-45T99:99:99Z", "Patient/", "#", "{{7*7}}", "' OR 1=1 --", "\x00", "é" * 300,
                   "text/plain; charset=does-not-exist", "text/plain; charset=utf-16", "/w==", "//79/w=="]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid resource after 1-4 edits: delete a member, replace a value by junk or a wrong type, duplicate
    a list item, rename a key."""
    data = copy.deepcopy(load(draw(st.sampled_from(SOURCES))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        op = draw(st.sampled_from(["delete", "junk", "junk", "dup", "rename"]))
        if op == "delete":
            del parent[last]
        elif op == "junk":
            # a copy: later edits must not change the shared JUNK values (Hypothesis replays draws)
            parent[last] = copy.deepcopy(draw(st.sampled_from(JUNK) | st.text(max_size=10) | st.integers()))
        elif op == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(last)
    return data


def _read(raw: bytes | str) -> str:
    """'ok' or the refusal message; any other exception fails the test."""
    try:
        reports = read_reports(load_json(raw, "input.json"), source="input.json")
    except InputError as exc:
        message = str(exc)
        assert message.startswith("input.json: ") and any(p in message for p in NAMES_A_PLACE), message
        return message
    assert reports and all(r.report.text.strip() for r in reports)
    return "ok"


def test_mutated_fhir_resources_are_converted_or_refused_naming_the_field(reliability: Recorder) -> None:
    outcomes: Counter[str] = Counter()

    @given(data=mutated())
    @settings(max_examples=scale(150, 2500), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(data: dict[str, Any]) -> None:
        outcome = _read(json.dumps(data))
        outcomes["converted" if outcome == "ok" else "refused"] += 1

    run()
    assert outcomes["refused"] > 0 and outcomes["converted"] > 0
    tried = sum(outcomes.values())
    reliability.row(area="fuzzing", check="FHIR DiagnosticReport/Bundle mutations (Hypothesis)",
                    inputs=f"{tried:,} mutated resources (deleted members, junk values, wrong types, renamed keys)",
                    result=f"0 crashes; {outcomes['converted']:,} converted, {outcomes['refused']:,} refused with "
                           "a message naming the source and the field")


@given(raw=st.binary(max_size=300), source=st.sampled_from(SOURCES), cut=st.integers(min_value=0, max_value=4000))
@settings(max_examples=scale(100, 1000), deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_damaged_bytes_are_refused_never_crash(raw: bytes, source: str, cut: int) -> None:
    valid = (DATA / source).read_bytes()
    for candidate in (raw, valid[:cut], valid[:cut] + raw, valid.decode().encode("utf-16"), b"\x00" + valid):
        _read(candidate)


HOSTILE_FILES = [
    (b"{not json", "not valid JSON"),
    (b"[1, 2, 3]", "JSON object"),
    (json.dumps({"resourceType": "Patient", "id": "x"}).encode(), "resourceType"),
    (json.dumps({"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CT"}}).encode(),
     "no report text"),
    (json.dumps({"resourceType": "DiagnosticReport", "status": ["final"], "code": {"text": "CT"}}).encode(),
     "DiagnosticReport.status"),
    (bytes(range(256)), "not"),
]


def test_fhir_convert_command_refuses_with_a_reason(tmp_path: Path) -> None:
    """Every hostile file through ``fhir convert`` in-process (as ``main()`` reports errors), and one through
    the real console script: exit 2, the file named, the reason given, no traceback."""
    from typer.testing import CliRunner

    from calcitrack.cli.app import _register_all, app

    _register_all()
    runner = CliRunner()
    for number, (content, expected) in enumerate(HOSTILE_FILES):
        path = tmp_path / f"hostile-{number}.json"
        path.write_bytes(content)
        result = runner.invoke(app, ["fhir", "convert", str(path)])
        assert isinstance(result.exception, InputError), (expected, result.exception, result.stdout[:200])
        message = str(result.exception)
        assert path.name in message and expected in message, message
    real = run_cli("fhir", "convert", str(tmp_path / "hostile-4.json"))
    assert real.returncode == 2 and "Traceback" not in real.stderr
    assert "DiagnosticReport.status" in real.stderr and "hostile-4.json" in real.stderr
