"""The report's own recommendation: modality, ISO 8601 interval, conditional, hedged, no follow-up."""

from __future__ import annotations

from calcitrack.nlp.recommendations import iso_interval, read_recommendations
from calcitrack.nlp.sections import find_headers


def recs(text: str, lang: str = "en") -> list:  # type: ignore[type-arg]
    return read_recommendations(text, lang, find_headers(text, lang))


def test_english_follow_up() -> None:
    [rec] = recs("A 6 mm calcification in the liver. Recommend follow-up ultrasound in 6 months.")
    assert (rec.modality, rec.interval, rec.conditional, rec.hedged, rec.no_followup) == ("US", "P6M", False, False,
                                                                                          False)
    assert rec.evidence is not None and rec.evidence.text == "Recommend follow-up ultrasound in 6 months."


def test_conditional_and_hedged() -> None:
    [rec] = recs("If clinically indicated, MRI could be considered in 3 months.")
    assert rec.modality == "MR" and rec.interval == "P3M" and rec.conditional and rec.hedged


def test_no_follow_up() -> None:
    [rec] = recs("Benign calcified granuloma. No follow-up imaging is needed.")
    assert rec.no_followup and rec.modality is None


def test_french_control() -> None:
    [rec] = recs("Calcification hépatique. Contrôle échographique à 6 mois.", "fr")
    assert (rec.modality, rec.interval) == ("US", "P6M")
    [rec] = recs("Pas de surveillance nécessaire.", "fr")
    assert rec.no_followup


def test_indication_is_not_a_recommendation() -> None:
    assert recs("INDICATION: Follow-up CT of liver calcification.\nFINDINGS: Stable.") == []


def test_iso_intervals() -> None:
    assert iso_interval("6", "months") == "P6M"
    assert iso_interval("one", "year") == "P1Y"
    assert iso_interval("3", "mois") == "P3M"
    assert iso_interval("2", "semaines") == "P2W"
    assert iso_interval("1", "an") == "P1Y"


def test_more_common_forms_of_a_recommendation() -> None:
    assert [r.modality for r in recs("Conclusion : bilan phosphocalcique à réaliser.", "fr")] == ["lab"]
    assert [(r.modality, r.interval) for r in recs("Impression: yearly ultrasound surveillance.")] == [("US", "P1Y")]
