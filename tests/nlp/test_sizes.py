"""Sizes: mm and cm, several dimensions (largest wins), French decimal commas, nearest to the anchor."""

from __future__ import annotations

import pytest
from tests.nlp.conftest import finding

from calcitrack.nlp.attributes import find_sizes, read_size


@pytest.mark.parametrize(
    ("sentence", "lang", "mm"),
    [
        ("A 5 mm calcification.", "en", 5.0),
        ("Calcified lesion 2.1 x 1.8 cm.", "en", 21.0),
        ("1 x 1.5 x 1 cm area of calcification", "en", 15.0),
        ("measuring 85x35x25 mm with calcifications", "en", 85.0),
        ("Calcification de 2,5 cm.", "fr", 25.0),
        ("masse de 12cm siège de calcifications", "fr", 120.0),
        ("calcification of 8 millimeters", "en", 8.0),
        ("lésion de 14×12,5×4 cm", "fr", 140.0),
        ("a 4-mm punctate calcification", "en", 4.0),  # the unit as a hyphenated adjective
        ("a 1.2-cm calcified nodule", "en", 12.0),
    ],
)
def test_largest_dimension_in_mm(sentence: str, lang: str, mm: float) -> None:
    sizes = find_sizes(sentence, lang)
    assert sizes and sizes[0].mm == mm


def test_no_unit_no_size() -> None:
    assert find_sizes("Calcification at L5-S1 and 3 foci.", "en") == []


def test_nearest_size_to_the_anchor_wins() -> None:
    sentence = "A 4 cm cyst and, separately, a 3 mm calcification."
    start = sentence.index("calcification")
    assert read_size(sentence, start, start + len("calcification"), "en") == 3.0


def test_size_from_report_and_none_when_negated() -> None:
    assert finding("There is a 6 mm calcification in the spleen.", "calcification").size_mm == 6.0
    assert finding("No 6 mm calcification in the spleen.", "calcification").size_mm is None


def test_counts() -> None:
    assert finding("Three calcifications in the spleen.", "calcifications").count == 3
    assert finding("A calcification in the spleen.", "calcification").count == "single"
    assert finding("Several calcifications in the spleen.", "calcifications").count == "multiple"
    assert finding("A tiny cluster of calcifications in the breast.", "calcifications").count == "multiple"
    assert finding("Plusieurs calcifications spléniques.", "calcifications", "fr").count == "multiple"
    assert finding("Une calcification splénique.", "calcification", "fr").count == "single"
    assert finding("Lithiase vésiculaire.", "Lithiase", "fr").count is None


def test_container_size_is_skipped_unless_the_anchor_names_the_container() -> None:
    """A duct's calibre is not the stone's; but when the anchor itself is "stone of the duct", the size
    that follows it is the stone's."""
    en = "The common duct measures 12 mm and holds a 7 mm stone."
    assert read_size(en, en.index("stone"), en.index("stone") + 5, "en") == 7.0
    fr = "Un calcul du cholédoque de 7 mm est visible."
    anchor = "calcul du cholédoque"
    assert read_size(fr, fr.index(anchor), fr.index(anchor) + len(anchor), "fr") == 7.0
    duct = "Cholédoque de 12 mm, sans calcul visible."
    assert read_size(duct, duct.index("calcul"), duct.index("calcul") + 6, "fr") is None
