"""The JSON contract: field names, validation messages, schema export."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from calcitrack.models import Finding, PatientContext, json_schemas


def test_field_names_of_the_contract() -> None:
    fields = set(Finding.model_fields)
    assert {"id", "organ", "organ_detail", "site", "count", "size_mm", "pattern", "acoustic_shadow",
            "duct_dilatation", "associated_mass", "interval_change", "negated", "uncertain", "historical",
            "section", "evidence", "lang"} <= fields


def test_schemas_exported() -> None:
    schemas = json_schemas()["schemas"]
    assert set(schemas) == {"Analysis", "Finding", "Lesion", "Assessment", "PatientContext"}
    assert "size_mm" in schemas["Finding"]["properties"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"organ": "lungs"}, "organ"),
        ({"organ": "liver", "size_mm": -3}, "size_mm"),
        ({"organ": "liver", "count": 0}, "count"),
        ({"organ": "liver", "pattern": "zigzag"}, "pattern"),
    ],
)
def test_invalid_findings_name_the_field(data: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as info:
        Finding.model_validate(data)
    assert info.value.errors()[0]["loc"][0] == field


def test_cancer_site_is_normalised_and_checked() -> None:
    assert PatientContext(known_primary_cancer="Colorectal-Mucinous").known_primary_cancer == "colorectal_mucinous"
    with pytest.raises(ValidationError, match="unknown cancer site"):
        PatientContext(known_primary_cancer="spleen-ish")


def test_caller_context_wins_over_report() -> None:
    from_report = PatientContext(age=70, chronic_liver_disease=True)
    caller = PatientContext(age=54)
    merged = caller.merged_over(from_report)
    assert merged.age == 54 and merged.chronic_liver_disease is True


def test_lesion_and_summary_contract() -> None:
    from calcitrack.models import SCHEMA_VERSION, Analysis, Assessment, Lesion

    assert SCHEMA_VERSION == "2.0"
    assert {"id", "finding_ids", "main_finding_id", "organ", "site", "size_mm", "count", "pattern",
            "characterisation", "conflicts", "negated", "uncertain", "historical"} <= set(Lesion.model_fields)
    assert "lesion_id" in Assessment.model_fields
    assert {"lesions", "summary", "warnings"} <= set(Analysis.model_fields)


def test_unknown_characterisation_label_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Finding.model_validate({"organ": "liver", "characterisation": [{"label": "harmless"}]})
    assert "unknown characterisation 'harmless'" in str(info.value)
