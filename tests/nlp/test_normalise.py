"""``calcitrack.fold_characters`` gives the norms ``eds.normalizer``'s own accent and quote steps give.

Why: the qualifiers match their triggers on ``NORM``; a norm that differs by one accent or apostrophe
would silently change what is negated. The comparison runs on real-looking report text in both languages
and on generated text made of the characters the tables fold.
"""

from __future__ import annotations

import pickle

import edsnlp
from hypothesis import given, settings
from hypothesis import strategies as st

from calcitrack.nlp.normalise import FoldCharacters
from calcitrack.nlp.pipeline import get_pipeline

SENTENCES = [
    "L’examen montre une calcification hépatique « punctiforme » du segment VII, déjà connue.",
    "Pas d'anomalie de la VBP ; lithiase cholédocienne écartée. ÉCHOGRAPHIE : foie homogène.",
    "Liver: a 4 mm calcification, “stable”, patient’s history of TB — no change.",
    "Plain English text without any accent or curly quote at all.",
]


def _reference() -> object:
    nlp = edsnlp.blank("eds")
    nlp.add_pipe("eds.normalizer", config={"pollution": False})
    return nlp


def _norms(nlp: object, text: str) -> list[str]:
    return [token.norm_ for token in nlp(text)]  # type: ignore[operator]


def test_same_norms_as_the_eds_normaliser() -> None:
    reference, ours = _reference(), get_pipeline("fr").nlp
    for text in SENTENCES:
        assert _norms(ours, text) == _norms(reference, text)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="aeéèêàçôÉÈÀ’‘“”«»'\" -.dlx\n", max_size=60))
def test_same_norms_on_generated_text(text: str) -> None:
    assert _norms(get_pipeline("fr").nlp, text) == _norms(_reference(), text)


def test_text_without_folded_characters_is_left_alone() -> None:
    nlp = get_pipeline("en").nlp
    doc = nlp.make_doc("Liver: a 4 mm calcification.")
    before = [t.norm_ for t in doc]
    assert FoldCharacters()(doc) is doc and [t.norm_ for t in doc] == before


def test_pickles_with_the_pipeline() -> None:
    nlp = get_pipeline("fr").nlp
    again = pickle.loads(pickle.dumps(nlp))
    assert _norms(again, SENTENCES[0]) == _norms(nlp, SENTENCES[0])
