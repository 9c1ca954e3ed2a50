"""Language detection: function-word counts decide between English and French."""

from __future__ import annotations

import pytest
from tests.nlp.conftest import read

from calcitrack.nlp.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The liver is normal in size. There is a small calcification in the right lobe.", "en"),
        ("Le foie est de taille normale. Il existe une petite calcification du lobe droit.", "fr"),
        ("FINDINGS: No calcification.", "en"),
        ("Pas de calcification. Vésicule sans lithiase.", "fr"),
    ],
)
def test_detects_english_and_french(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_reading_reports_detected_language_and_caller_language_wins() -> None:
    assert read("Calcification hépatique de 3 mm dans le segment VII.").lang == "fr"
    assert read("Calcification hépatique de 3 mm.", lang="en").lang == "en"


def test_empty_text_defaults_to_english() -> None:
    assert detect_language("") == "en"
