"""Codes as words of a language: organ, site, pattern, interval change, count, action.

Why in the explanation layer: the JSON contract speaks in codes (``soft_tissue``, ``segment_VI``,
``periarticular_hip``), and every face that shows them to a person - the web pages, CDS Hooks cards, FHIR
display texts - must show the same words in the report's or the user's language. The words are KB text
keys (``organ.*``, ``site.*``, ``change.*``, ``count.*``, ``sentence.pattern.*``, ``action.*``), so a site
or a language is added in YAML. A code with no word yet is shown with spaces instead of underscores.
"""

from __future__ import annotations

from calcitrack.explain.phrases import segment_label
from calcitrack.explain.texts import Texts
from calcitrack.kb import KnowledgeBase


def plain(code: object) -> str:
    return str(code).replace("_", " ")


def _text(texts: Texts, key: str, lang: str) -> str | None:
    return texts.raw(key, lang) if texts.has(key, lang) else None


def organ_words(texts: Texts, code: object, lang: str) -> str:
    return _text(texts, f"organ.{code}", lang) or plain(code)


def site_words(texts: Texts, code: object, lang: str) -> str:
    """ "segment_VI" -> "segment VI"; a known site by its word; ``<layer>_<region>`` composed word by word
    (French puts the region first: "hanche périarticulaire")."""
    if code in (None, ""):
        return ""
    text = str(code)
    segment = segment_label(text)
    if segment:
        return f"segment {segment}"
    whole = _text(texts, f"site.{text}", lang)
    if whole:
        return whole
    words = [_text(texts, f"site.{part}", lang) or part for part in text.split("_")]
    if lang == "fr":
        words.reverse()
    return " ".join(words)


def pattern_words(texts: Texts, code: object, lang: str) -> str:
    return _text(texts, f"sentence.pattern.{code}", lang) or plain(code)


def change_words(texts: Texts, code: object, lang: str) -> str:
    return _text(texts, f"change.{code}", lang) or plain(code)


def count_words(texts: Texts, value: object, lang: str) -> str:
    if isinstance(value, int) or str(value).isdigit():
        return str(value)
    return _text(texts, f"count.{value}", lang) or plain(value)


def action_words(texts: Texts, code: object, lang: str) -> str:
    return _text(texts, f"action.{code}", lang) or plain(code)


def size_text(size_mm: float, lang: str) -> str:
    """ "11 mm", "4.5 mm" / "4,5 mm"."""
    number = f"{float(size_mm):g}"
    return f"{number.replace('.', ',') if lang == 'fr' else number} mm"


def where_text(texts: Texts, organ: object, site: object, size_mm: float | None, lang: str) -> str:
    """ "liver, segment VI, 11 mm" / "foie, segment VI, 11 mm": organ, site and size of a lesion."""
    parts = [organ_words(texts, organ, lang) if organ else texts.render("cds.calcification", lang)]
    if site:
        parts.append(site_words(texts, site, lang))
    if size_mm is not None:
        parts.append(size_text(size_mm, lang))
    return ", ".join(parts)


_TABLES: dict[int, tuple[KnowledgeBase, dict[str, dict[str, str]]]] = {}


def _recommendation_texts(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    """Every KB recommendation text (what / when / rationale) in any language -> the same text in each
    language; built once per knowledge base object."""
    cached = _TABLES.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    table: dict[str, dict[str, str]] = {}
    for rule in kb.rules:
        for rec in rule.recommendations:
            for bilingual in (rec.what, rec.when, rec.rationale):
                if bilingual is None:
                    continue
                both = {"en": bilingual.get("en"), "fr": bilingual.get("fr")}
                for text in both.values():
                    table.setdefault(_norm(text), both)
    _TABLES[id(kb)] = (kb, table)
    return table


def _norm(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".").lower()


def recommendation_words(kb: KnowledgeBase, text: str | None, lang: str) -> str:
    """A stored follow-up text (a KB recommendation, or several joined with "; ", in the language of the
    report it came from) in ``lang``; any text the KB does not have is kept as stored."""
    if not text:
        return ""
    table = _recommendation_texts(kb)
    parts = text.split("; ")
    shown: list[str] = []
    start = 0
    while start < len(parts):  # the longest run of parts that is one KB text (a text may hold "; ")
        for end in range(len(parts), start, -1):
            both = table.get(_norm("; ".join(parts[start:end])))
            if both:
                shown.append(both[lang])
                start = end
                break
        else:
            shown.append(parts[start])
            start += 1
    return "; ".join(part for part in shown if part.strip())
