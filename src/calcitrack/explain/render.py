"""Entry point of the explanation layer: an analysis, a language and an audience in; a rendered text out."""

from __future__ import annotations

from calcitrack.errors import InputError
from calcitrack.explain.clinician import clinician_document
from calcitrack.explain.document import FORMATS, Document, render
from calcitrack.explain.patient import patient_document
from calcitrack.explain.radiologist import radiologist_document
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import Analysis

AUDIENCES: tuple[str, ...] = ("radiologist", "clinician", "patient")
LANGS: tuple[str, ...] = ("en", "fr")


def build_document(
    analysis: Analysis, *, lang: str = "en", audience: str = "patient", kb: KnowledgeBase | None = None
) -> Document:
    """The structured explanation (before layout): sections of items, each with its origin and sources."""
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}; expected one of {', '.join(AUDIENCES)}")
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    texts = Texts(kb or get_kb())
    if audience == "radiologist":
        return radiologist_document(texts, analysis, lang)
    if audience == "clinician":
        return clinician_document(texts, analysis, lang)
    return patient_document(texts, analysis, lang)


def explain_analysis(
    analysis: Analysis,
    lang: str = "en",
    audience: str = "patient",
    fmt: str = "text",
    *,
    kb: KnowledgeBase | None = None,
) -> str:
    """Explain ``analysis`` to ``audience`` in ``lang``, laid out as ``fmt`` (text, html, markdown, json)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return render(build_document(analysis, lang=lang, audience=audience, kb=kb), fmt)
