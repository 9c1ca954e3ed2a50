"""Descriptions of a calcification shared by the radiologist sentence, the clinician summary and the letter.

They read only the attribute names a :class:`~calcitrack.models.Finding` (one mention) and a
:class:`~calcitrack.models.Lesion` (its mentions merged) share, so the explanations describe a lesion with
the same words a mention would get. Numbers, roman numerals and decimal commas are formatting (code);
every word comes from a text key.
"""

from __future__ import annotations

import re

from calcitrack.explain.texts import Texts, capitalise
from calcitrack.models import Finding, Lesion

Described = Finding | Lesion
"""Anything with Finding's attribute names: a mention, or a lesion (its mentions merged)."""

_SEGMENT = re.compile(r"^(?:segment|seg|s)[_ ]?([0-9]{1,2}|[ivx]{1,4})([ab])?$", re.IGNORECASE)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII"}


def size_words(size_mm: float | None, lang: str) -> str:
    """``4.0`` -> "4 mm"; ``4.5`` -> "4.5 mm" (en) / "4,5 mm" (fr); sizes of 10 mm or more stay in mm."""
    if size_mm is None:
        return ""
    number = f"{size_mm:.0f}" if float(size_mm).is_integer() else f"{size_mm:.1f}"
    if lang == "fr":
        number = number.replace(".", ",")
    return f"{number} mm"


def stated_value(name: str, value: object, lang: str) -> str:
    """One value a mention states for attribute ``name``, for a reader: sizes in mm ("4 mm", "4,5 mm"),
    identifiers with spaces ("segment VII"). Used to show where a lesion's mentions disagree."""
    if name == "size_mm":
        try:
            return size_words(float(str(value)), lang)
        except ValueError:
            pass
    return str(value).replace("_", " ")


def segment_label(site: str | None) -> str | None:
    """ "segment_VII", "segment_7", "S7", "segment_IVa" -> "VII" / "VII" / "VII" / "IVa"; None if not a segment."""
    if not site:
        return None
    match = _SEGMENT.match(site.strip())
    if not match:
        return None
    number, sub = match.group(1), (match.group(2) or "").lower()
    if number.isdigit():
        roman = _ROMAN.get(int(number))
        if roman is None:
            return None
    else:
        roman = number.upper()
        if roman not in _ROMAN.values():
            return None
    return roman + sub


def where_words(texts: Texts, finding: Described, lang: str, *, prefix: str = "sentence") -> str:
    """Where the finding lies, as a phrase: "in segment VII", "in the right lobe", "in the liver"."""
    segment = segment_label(finding.site)
    if segment:
        return texts.render(f"{prefix}.where.segment", lang, segment=segment)
    if finding.site and texts.has(f"{prefix}.where.site.{finding.site}", lang):
        return texts.render(f"{prefix}.where.site.{finding.site}", lang)
    key = f"{prefix}.where.{finding.organ.value}"
    return texts.render(key, lang) if texts.has(key, lang) else ""


def is_multiple(finding: Described) -> bool:
    return finding.count == "multiple" or (isinstance(finding.count, int) and finding.count > 1)


def finding_description(texts: Texts, finding: Described, lang: str) -> str:
    """ "4 mm punctate calcification in segment VII" / "Calcification ponctuée de 4 mm du segment VII"."""
    multiple = is_multiple(finding)
    pattern = ""
    if finding.pattern is not None:
        pattern_key = f"sentence.pattern{'_plural' if multiple else ''}.{finding.pattern.value}"
        pattern = texts.render(pattern_key, lang)
    count_n = finding.count if isinstance(finding.count, int) and finding.count > 1 else None
    key = "sentence.finding.multiple" if multiple else "sentence.finding.single"
    text = texts.render(
        key,
        lang,
        size=size_words(finding.size_mm, lang),
        pattern=pattern,
        count_n=count_n,
        where=where_words(texts, finding, lang),
    )
    return capitalise(text)
