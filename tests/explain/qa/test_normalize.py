"""Normalisation helpers of explain/qa: typing slips, negation scope and "d'après"."""

from __future__ import annotations

import pytest

from calcitrack.explain.qa.normalize import negated, one_edit_apart, stem, words


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("dangerus", "dangerous"), ("surgury", "surgery"), ("biospy", "biopsy"), ("cancerr", "cancer"), ("abc", "abc")],
)
def test_one_typing_slip_apart(typed: str, meant: str) -> None:
    assert one_edit_apart(typed, meant) and one_edit_apart(meant, typed)


@pytest.mark.parametrize(("a", "b"), [("comprend", "compare"), ("danger", "ranges"), ("liver", "lives and")])
def test_two_slips_or_more_are_different_words(a: str, b: str) -> None:
    assert not one_edit_apart(a, b)


def test_a_negation_rules_out_the_next_words_of_its_clause_only() -> None:
    ruled_out = negated("I have never had hepatitis or jaundice, so why is there a calcified spot in my liver?")
    assert {stem("hepatitis"), stem("jaundice")} <= ruled_out
    assert not {stem("calcified"), stem("liver"), stem("spot")} & ruled_out
    assert stem("alcool") in negated("jamais une goutte d'alcool, et pourtant des taches au foie")
    assert stem("foie") not in negated("jamais une goutte d'alcool, et pourtant des taches au foie")
    assert negated("is it dangerous?") == set()


def test_d_apres_means_according_to_but_apres_alone_keeps_its_meaning() -> None:
    assert "apres" not in words("des calcifications d'après le scanner")
    assert "apres" in words("des calcifications après une chimiothérapie")
