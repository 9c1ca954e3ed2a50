"""Organ and site: own sentence, section header, earlier sentence; Couinaud forms; joints."""

from __future__ import annotations

import pytest
from tests.nlp.conftest import finding

from calcitrack.models import Organ
from calcitrack.nlp.sites import liver_site


@pytest.mark.parametrize(
    ("sentence", "lang", "site"),
    [
        ("calcification in segment VII", "en", "segment_VII"),
        ("calcification in segment 7", "en", "segment_VII"),
        ("calcification in S7 of the liver", "en", "segment_VII"),
        ("calcification in SVIII of the liver", "en", "segment_VIII"),
        ("calcification in segment IVa", "en", "segment_IVa"),
        ("calcification du segment VI", "fr", "segment_VI"),
        ("calcification du 7e segment", "fr", "segment_VII"),
        ("calcification du segment 2", "fr", "segment_II"),
    ],
)
def test_couinaud_forms(sentence: str, lang: str, site: str) -> None:
    assert liver_site(sentence, lang) == site


def test_spinal_levels_are_not_segments() -> None:
    assert liver_site("disc calcification at L5-S1", "en") is None


def test_organ_from_own_sentence() -> None:
    f = finding("The spleen contains several small calcified granulomas.", "calcified granulomas")
    assert f.organ == Organ.spleen
    f = finding("Punctate calcifications in the gallbladder lumen.", "calcifications")
    assert (f.organ, f.site) == (Organ.biliary, "gallbladder")


def test_organ_from_section_header() -> None:
    f = finding("LIVER: Normal size. A 5 mm calcification is seen.\nSPLEEN: Normal.", "calcification")
    assert f.organ == Organ.liver


def test_organ_from_earlier_sentence() -> None:
    text = "The liver is enlarged with a coarse echotexture. A 5 mm calcification is seen."
    assert finding(text, "calcification").organ == Organ.liver


def test_nearest_organ_wins_and_default_is_other() -> None:
    text = "The liver is normal. There is calcification of the aortic valve."
    assert finding(text, "calcification").organ == Organ.other
    assert finding("Calcification is noted.", "Calcification").organ == Organ.other


def test_soft_tissue_and_joint_site() -> None:
    f = finding("Periarticular calcifications around the left shoulder.", "calcifications")
    assert (f.organ, f.site) == (Organ.soft_tissue, "periarticular_shoulder")
    f = finding("Calcinose tumorale de la hanche gauche.", "Calcinose", "fr")
    assert (f.organ, f.site) == (Organ.soft_tissue, "periarticular_hip")


def test_soft_tissue_density_is_a_descriptor_not_an_organ() -> None:
    text = "There is a calcified soft tissue density lesion in the right pelvis."
    assert finding(text, "calcified").organ == Organ.other


def test_lithiase_only_when_hepatobiliary() -> None:
    f = finding("Lithiase vésiculaire de 12 mm.", "Lithiase", "fr")
    assert (f.organ, f.site) == (Organ.biliary, "gallbladder")
    from tests.nlp.conftest import read

    assert read("Lithiase rénale droite de 6 mm.", "fr").findings == []
