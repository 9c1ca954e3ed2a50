"""The prefilter skips reports with no lexicon stem, and never drops a report the targets would match."""

from __future__ import annotations

from calcitrack.nlp.lexicon import get_lexicon
from calcitrack.nlp.prefilter import may_mention_target
from calcitrack.nlp.targets import find_targets


def test_reports_without_stems_are_skipped() -> None:
    assert not may_mention_target("Normal chest radiograph. No acute process.", "en")
    assert not may_mention_target("Radiographie thoracique normale.", "fr")


def test_case_and_accents() -> None:
    assert may_mention_target("MICROCALCIFICATIONS IN THE LEFT BREAST", "en")
    assert may_mention_target("Phlébolithes pelviens.", "fr")
    assert may_mention_target("Lithiase vésiculaire.", "fr")


def test_prefilter_is_never_narrower_than_the_targets() -> None:
    samples = {
        "en": ["calcified granuloma", "noncalcified nodule", "phleboliths", "echogenic focus", "hepatolithiasis",
               "chondrocalcinosis", "intrahepatic duct stones", "Fibrocalcific leaflets"],
        "fr": ["granulomes calcifiés", "néphrocalcinose", "phlébolithe", "lithiase intrahépatique",
               "image hyperéchogène avec cône d'ombre", "microcalcifications"],
    }
    for lang, texts in samples.items():
        for text in texts:
            if find_targets(text, lang):
                assert may_mention_target(text, lang), (lang, text)
        assert get_lexicon(lang).stems
