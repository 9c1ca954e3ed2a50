"""Bad input gives a clean result or a clear one-line error naming the input; never a traceback."""

from __future__ import annotations

import time

import pytest

from calcitrack.errors import InputError
from calcitrack.models import Report
from calcitrack.nlp import read_report
from calcitrack.nlp.reader import MAX_CHARS


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\x00\x01\x02\xff" * 50, "ÿþ" * 1000])
def test_empty_and_junk_give_a_clean_result(text: str) -> None:
    reading = read_report(Report(text=text))
    assert reading.findings == []


def test_latin1_mojibake_and_decoded_latin1() -> None:
    decoded = "Calcification hépatique de 3 mm.".encode("latin-1").decode("latin-1")
    assert read_report(Report(text=decoded)).findings[0].size_mm == 3.0
    mojibake = "Calcification hÃ©patique de 3 mm."
    assert read_report(Report(text=mojibake)).findings[0].size_mm == 3.0


def test_ten_megabyte_report_is_read_quickly() -> None:
    block = "The liver is normal. " * 40 + "A 4 mm calcification in the spleen. "
    text = (block * (10_000_000 // len(block) + 1))[:10_000_000]
    started = time.perf_counter()
    reading = read_report(Report(text=text))
    assert len(reading.findings) > 1000
    assert time.perf_counter() - started < 120


def test_ten_megabyte_report_without_targets_is_skipped_fast() -> None:
    started = time.perf_counter()
    assert read_report(Report(text="Normal study. " * 750_000)).findings == []
    assert time.perf_counter() - started < 5


def test_oversized_report_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="limit"):
        read_report(Report(id="big", text="a" * (MAX_CHARS + 1)))


def test_another_language_is_a_clean_result() -> None:
    german = "Die Leber ist unauffällig. Keine Verkalkung. Die Milz ist normal groß."
    reading = read_report(Report(text=german))
    assert reading.findings == [] and reading.lang in ("en", "fr")
