"""The text files: every key in both languages, every template valid, the same placeholders in both."""

from __future__ import annotations

import pytest
from jinja2 import TemplateSyntaxError, meta

from calcitrack.explain.texts import Texts, indefinite, tidy
from calcitrack.kb import KBError, KnowledgeBase

EXPLAIN_PREFIXES = ("sentence.", "summary.", "letter.", "qa.")
CORE_KEYS = ("action.no_followup", "tier.likely", "kind.imaging", "agreement.agrees", "label.sources")


def test_every_key_exists_in_both_languages(kb: KnowledgeBase) -> None:
    en, fr = set(kb.texts["en"]), set(kb.texts["fr"])
    assert en - fr == set(), f"missing in texts.fr.yaml: {sorted(en - fr)}"
    assert fr - en == set(), f"missing in texts.en.yaml: {sorted(fr - en)}"


def test_core_keys_are_kept(kb: KnowledgeBase) -> None:
    for key in CORE_KEYS:
        assert key in kb.texts["en"]


def test_explanation_keys_use_their_prefixes(kb: KnowledgeBase) -> None:
    ours = [k for k in kb.texts["en"] if k.startswith(EXPLAIN_PREFIXES)]
    assert len(ours) > 80


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_template_parses_and_placeholders_match_across_languages(kb: KnowledgeBase, lang: str) -> None:
    env = Texts(kb).environment
    other = "fr" if lang == "en" else "en"
    for key, text in kb.texts[lang].items():
        try:
            parsed = env.parse(text)
        except TemplateSyntaxError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"texts.{lang}.yaml: {key}: {exc}")
        mine = meta.find_undeclared_variables(parsed)
        theirs = meta.find_undeclared_variables(env.parse(kb.texts[other][key]))
        assert mine == theirs, f"{key}: {lang} uses {sorted(mine)}, {other} uses {sorted(theirs)}"


def test_sources_companions_name_known_sources(kb: KnowledgeBase) -> None:
    for lang in ("en", "fr"):
        for key, value in kb.texts[lang].items():
            if key.endswith(".cites"):
                assert value.split(), key
                for source_id in value.split():
                    assert source_id in kb.sources, f"{key}: {source_id}"


def test_missing_key_is_a_clear_kb_error(kb: KnowledgeBase) -> None:
    with pytest.raises(KBError, match=r"texts\.fr\.yaml: missing key 'letter\.nope'"):
        Texts(kb).render("letter.nope", "fr")


def test_undefined_placeholder_fails_loudly(kb: KnowledgeBase) -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        Texts(kb).render("letter.found.single", "en")  # `where` not given


def test_helpers() -> None:
    assert indefinite("calcified granuloma") == "a calcified granuloma"
    assert indefinite("hydatid cyst") == "a hydatid cyst"
    assert indefinite("abscess") == "an abscess"
    assert indefinite("calcified liver metastasis") == "a calcified liver metastasis"
    assert indefinite("hepatolithiasis") == "hepatolithiasis"
    assert indefinite("secondary tumoral calcinosis") == "secondary tumoral calcinosis"
    assert indefinite("splenic calcification") == "splenic calcification"
    assert indefinite("calcified metastases") == "calcified metastases"
    assert tidy("4 mm  calcification ,  here .") == "4 mm calcification, here."
