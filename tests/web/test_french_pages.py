"""The French UI is French: the rendered pages a French user reads carry no English label and no enum code.

The scan reads what a person sees (text nodes, and the title / placeholder / aria-label attributes), and
skips what is meant to be in another language or verbatim: the report text (``<pre>``), anything inside an
element whose ``lang`` is not French (the English patient letter shown side by side, an English article's
title), names marked ``translate="no"`` (the user's login name), scripts and styles.
Two things must not appear: a snake_case token (an enum code or identifier such as ``soft_tissue`` or
``segment_VI``) and an English word of the UI's own English table that the French table never uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import csrf_of

from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.web.i18n import strings

Login = Callable[[str], TestClient]
SNAKE = re.compile(r"\b[A-Za-z]+(?:_[A-Za-z0-9]+)+\b")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-zÀ-ÿ]+)?")
VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "col", "base", "embed", "param", "track"}
VERBATIM = {"script", "style", "pre", "code", "textarea"}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label")


class _Visible(HTMLParser):
    """Collects the text a reader of the French page sees (see the module docstring for what is skipped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[bool] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang")
        skip = tag in VERBATIM or (lang is not None and not lang.startswith("fr")) or values.get("translate") == "no"
        hidden = any(self.skipping) or skip
        if not hidden:
            self.seen.extend(str(values[name]) for name in SHOWN_ATTRIBUTES if values.get(name))
            if tag == "option" or (tag == "input" and values.get("type") in ("submit", "button")):
                pass  # option labels are text nodes; button values are checked below
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.seen.append(str(values["value"]))
        if tag not in VOID:
            self.skipping.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.skipping) and data.strip():
            self.seen.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.seen


def english_only_words() -> set[str]:
    """Words of the English UI table that no French text uses, neither the UI's nor the knowledge base's
    (lower case, 4 letters or more): "bile" is English and French, "liver" only English."""
    table = strings()
    english = {w.lower() for entry in table.values() for w in WORD.findall(_without_placeholders(entry["en"]))}
    french_texts = [entry["fr"] for entry in table.values()] + list(_french_of(get_kb()))
    french = {w.lower() for text in french_texts for w in WORD.findall(_without_placeholders(text))}
    return {w for w in english - french if len(w) >= 4}


def _french_of(kb: KnowledgeBase) -> Iterator[str]:
    """Every French text of the knowledge base (text tables, conditions, rules, questions, policies)."""
    yield from kb.texts["fr"].values()

    def walk(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "fr" and isinstance(item, str):
                    yield item
                elif key == "fr" and isinstance(item, list):
                    yield from (str(x) for x in item)
                else:
                    yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    for group in (kb.conditions.values(), kb.rules, kb.questions, kb.policies.values()):
        for item in group:
            yield from walk(item.model_dump())


def _without_placeholders(text: str) -> str:
    return re.sub(r"\{[a-z_]+\}|\{\{[^}]*\}\}|\{%[^%]*%\}", " ", text)


ENGLISH = english_only_words()


def problems(html: str) -> list[str]:
    """Every snake_case token and English-only word the French reader would see, with its context."""
    english = ENGLISH
    found: list[str] = []
    for chunk in visible_text(html):
        found.extend(f"code {token!r} in {chunk[:80]!r}" for token in SNAKE.findall(chunk))
        found.extend(
            f"English {word!r} in {chunk[:80]!r}" for word in WORD.findall(chunk) if word.lower() in english
        )
    return found


def test_the_scanner_catches_english_and_codes() -> None:
    html = '<p>Suivi : soft_tissue</p><p title="Worklist">ok</p><p lang="en">Worklist</p><pre>segment_VI</pre>'
    found = problems(html)
    assert any("code 'soft_tissue'" in f for f in found) and any("'Worklist'" in f for f in found)
    assert not any("segment_VI" in f for f in found)  # verbatim report text is not scanned
    assert sum("'Worklist'" in f for f in found) == 1  # the English-marked element is not scanned


def _french_analysis(client: TestClient, **data: str) -> str:
    token = csrf_of(client.get("/ui/analyse?lang=fr").text)
    response = client.post("/ui/analyse", data={"csrf": token, **data})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    return response.text


FRENCH_REPORTS = {
    "liver_segment": "Foie : calcification ponctuée de 4 mm du segment VI, sans cône d'ombre.",
    "soft_tissue": "Tissus mous : calcifications périarticulaires de la hanche droite, aspect de calcinose tumorale.",
    "biliary": "Voies biliaires : calculs intrahépatiques calcifiés avec dilatation des voies biliaires.",
    "spleen": "Rate : granulomes calcifiés spléniques de 3 mm.",
}


@pytest.mark.parametrize("name", sorted(FRENCH_REPORTS))
def test_french_analysis_page_has_no_english_or_codes(login: Login, name: str) -> None:
    client = login("clinician")
    html = _french_analysis(client, text=FRENCH_REPORTS[name], lang="fr")
    assert problems(html) == []


def test_english_report_in_the_french_ui_has_french_labels(login: Login) -> None:
    client = login("clinician")
    html = _french_analysis(client, text="Liver: 12 mm coarse calcification in segment IV.", lang="en")
    assert problems(html) == []


@pytest.mark.parametrize(
    "path", ["/ui/worklist?lang=fr", "/ui/worklist?lang=fr&view=closed", "/ui/patients?lang=fr"]
)
def test_french_worklist_pages_have_no_english_or_codes(login: Login, path: str) -> None:
    client = login("admin")
    response = client.get(path)
    assert response.status_code == 200
    assert problems(response.text) == []


def test_french_timelines_have_no_english_or_codes(login: Login) -> None:
    client = login("admin")
    listed = client.get("/ui/worklist?lang=fr&view=open").text + client.get("/ui/worklist?view=closed").text
    patients = sorted(set(re.findall(r"/ui/patients/([A-Za-z0-9-]+)", listed)))
    assert patients
    for patient in patients:
        response = client.get(f"/ui/patients/{patient}?lang=fr")
        assert response.status_code == 200
        assert problems(response.text) == [], patient


def test_french_knowledge_pages_have_no_english_or_codes(client: TestClient) -> None:
    index = client.get("/ui/knowledge?lang=fr")
    conditions = sorted(set(re.findall(r"/ui/knowledge/conditions/([a-z0-9_]+)", index.text)))
    assert conditions
    pages = ["/ui/knowledge", "/ui/knowledge/rules", "/ui/knowledge/sources"]
    pages += [f"/ui/knowledge/conditions/{condition}" for condition in conditions]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200
        assert problems(response.text) == [], path
