"""ISO 8601 durations of the KB ("P6M", ranges "P3M..P6M") in words and in days.

Intervals are kept machine-readable in the KB and in JSON so the registry can compute due dates; this
module is the one place that turns them into "3–6 months" / "3 à 6 mois" or into a number of days.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)([YMWD])")
_UNITS = {
    "en": {"Y": ("year", "years"), "M": ("month", "months"), "W": ("week", "weeks"), "D": ("day", "days")},
    "fr": {"Y": ("an", "ans"), "M": ("mois", "mois"), "W": ("semaine", "semaines"), "D": ("jour", "jours")},
}
_DAYS = {"Y": 365, "M": 30, "W": 7, "D": 1}


def _single_unit(value: str) -> tuple[int, str] | None:
    parts = _PART.findall(value)
    if len(parts) != 1:
        return None
    number, unit = parts[0]
    return int(number), unit


def _words(value: str, lang: str) -> str:
    units = _UNITS["fr" if lang == "fr" else "en"]
    return " ".join(
        f"{n} {units[u][0] if int(n) == 1 else units[u][1]}" for n, u in _PART.findall(value)
    )


def duration_words(value: str | None, lang: str = "en") -> str:
    """"P3M..P6M" -> "3–6 months" (en) / "3 à 6 mois" (fr); "P1Y" -> "1 year"."""
    if not value:
        return ""
    low, _, high = value.partition("..")
    if not high:
        return _words(low, lang)
    a, b = _single_unit(low), _single_unit(high)
    if a and b and a[1] == b[1]:
        unit = _UNITS["fr" if lang == "fr" else "en"][a[1]][1]
        return f"{a[0]} à {b[0]} {unit}" if lang == "fr" else f"{a[0]}–{b[0]} {unit}"
    joiner = " à " if lang == "fr" else "–"
    return f"{_words(low, lang)}{joiner}{_words(high, lang)}"


def duration_days(value: str, *, upper: bool = False) -> int:
    """Days in a duration; for a range, the lower bound (or the upper with ``upper=True``)."""
    low, _, high = value.partition("..")
    chosen = high if (upper and high) else low
    return sum(int(n) * _DAYS[u] for n, u in _PART.findall(chosen))
