"""Property-based tests (Hypothesis) of the JSON contract (``calcitrack.models``).

Why: every JSON that leaves calcitrack is one of these models, and every JSON that comes in (API bodies,
batch lines, ``--context`` files) is validated by them. Two guarantees: whatever a valid model holds
survives ``model_dump(mode="json")`` -> ``model_validate`` unchanged, and garbage JSON is refused with a
``ValidationError`` - never another exception type that a face would turn into a 500 or a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from calcitrack.assess import assess_findings
from calcitrack.models import (
    Analysis,
    Assessment,
    Evidence,
    Finding,
    Modality,
    PatientContext,
    Recommendation,
    Report,
    ReportRecommendation,
)
from tests.assess.test_properties import contexts, findings
from tests.reliability import Recorder, scale

pytestmark = pytest.mark.reliability

MODELS: list[type[BaseModel]] = [Report, Finding, PatientContext, Assessment, Recommendation, ReportRecommendation,
                                 Evidence, Analysis]


def json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                       st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                       st.sampled_from(["liver", "en", "fr", "US", "single", "multiple", "2025-01-10", "f1",
                                        "urgent", "likely", "\x00", "{{7*7}}"]))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(["id", "text", "organ", "count", "size_mm", "evidence", "start", "end",
                                             "age", "report", "findings", "action", "finding_id", "kind", "what",
                                             "context", "lang", "date", "modality"]) | st.text(max_size=8),
                            inner, max_size=6),
        ),
        max_leaves=25,
    )


def test_garbage_json_is_a_validation_error_never_another_exception(reliability: Recorder) -> None:
    tried = refused = 0

    @given(model=st.sampled_from(MODELS), value=json_values())
    @settings(max_examples=scale(200, 2000), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(model: type[BaseModel], value: Any) -> None:
        nonlocal tried, refused
        tried += 1
        try:
            parsed = model.model_validate(value)
        except ValidationError as exc:
            refused += 1
            assert exc.errors(), "a refusal names at least one field"
            return
        # Accepted garbage must still be a faithful, round-trippable model.
        assert model.model_validate(parsed.model_dump(mode="json")) == parsed
        # ... and JSON text too (model_validate_json, the path of the API and batch readers).
        assert model.model_validate_json(json.dumps(parsed.model_dump(mode="json"))) == parsed

    run()
    assert refused > 0
    reliability.row(area="fuzzing", check="JSON models on generated garbage (Hypothesis)",
                    inputs=f"{tried:,} generated JSON values over {len(MODELS)} models",
                    result=f"0 crashes; {refused:,} refused with a ValidationError naming the field; the "
                           f"{tried - refused:,} accepted round-trip unchanged")


@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@settings(max_examples=scale(100, 500), deadline=None, database=None)
def test_undecodable_or_malformed_json_text_is_a_validation_error(raw: bytes) -> None:
    for model in (Report, PatientContext, Analysis):
        try:
            model.model_validate_json(raw)
        except ValidationError as exc:
            assert exc.errors()


reports = st.builds(
    Report, id=st.text(min_size=1, max_size=20), patient_id=st.none() | st.text(max_size=20),
    date=st.none() | st.dates(), modality=st.none() | st.sampled_from(list(Modality)),
    lang=st.sampled_from([None, "en", "fr"]), text=st.text(max_size=200),
)


@given(report=reports, context=contexts, found=st.lists(findings, max_size=4),
       policy=st.sampled_from(["standard", "seed"]))
@settings(max_examples=scale(50, 500), deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_valid_analysis_round_trips_through_json(report: Report, context: PatientContext,
                                                       found: list[Finding], policy: str) -> None:
    """A whole Analysis (report, context, findings, the engine's assessments) survives JSON unchanged."""
    analysis = Analysis(report=report, context=context, findings=found, policy=policy,
                        assessments=assess_findings(found, context, policy=policy))
    for model, instance in [(Analysis, analysis), (Report, report), (PatientContext, context),
                            *((Finding, f) for f in found), *((Assessment, a) for a in analysis.assessments)]:
        dumped = instance.model_dump(mode="json")
        assert model.model_validate(dumped) == instance
        assert model.model_validate_json(json.dumps(dumped)) == instance
