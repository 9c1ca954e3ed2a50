"""``calcitrack.list_items``: numbered lines start sentences in the token pipeline."""

from __future__ import annotations

from calcitrack.nlp.pipeline import get_pipeline


def _sentences(text: str, lang: str) -> list[str]:
    doc = get_pipeline(lang).prepare(text)
    return [s.text.strip() for s in doc.sents]


def test_a_numbered_line_starts_a_sentence() -> None:
    sents = _sentences("Impression:\n1. Normal gallbladder; no cause for the pain.\n2. 6 mm calcified granuloma.", "en")
    assert any(s.startswith("2.") or s.startswith("6 mm") for s in sents)
    assert not any("pain." in s and "granuloma" in s for s in sents)


def test_a_number_inside_a_line_does_not() -> None:
    sents = _sentences("Foie : calcification de 2. 5 mm au segment VI.", "fr")
    assert len(sents) == 1
