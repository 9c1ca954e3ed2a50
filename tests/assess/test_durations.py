from __future__ import annotations

import pytest

from calcitrack.assess.durations import duration_days, duration_words


@pytest.mark.parametrize(
    ("value", "lang", "words"),
    [
        ("P6M", "en", "6 months"),
        ("P1Y", "en", "1 year"),
        ("P3M..P6M", "en", "3–6 months"),
        ("P3M..P6M", "fr", "3 à 6 mois"),
        ("P2Y..P3Y", "fr", "2 à 3 ans"),
        ("P1Y6M", "en", "1 year 6 months"),
        (None, "en", ""),
    ],
)
def test_duration_words(value: str | None, lang: str, words: str) -> None:
    assert duration_words(value, lang) == words


def test_duration_days_takes_lower_bound_unless_asked() -> None:
    assert duration_days("P3M..P6M") == 90
    assert duration_days("P3M..P6M", upper=True) == 180
    assert duration_days("P2W") == 14
