"""Which sources a reader is shown, under which label, and with which evidence strength.

Why this is its own module: the three audiences cite the same KB sources but must not show them the same
way. A patient is shown only guideline and peer-reviewed sources (a teaching page or a machine-generated
summary is fine as a clinician's pointer but not as something a patient is told to trust). The clinician
sees every source with its evidence strength, so a teaching or AI-generated source is marked as such.
Nobody sees an internal seed file name: seed articles are labelled with their number in the clinical
reference (file ``000_….txt`` is S1, ``004_….txt`` is S5), the numbering every literature id continues.
"""

from __future__ import annotations

import re

from calcitrack.kb import KnowledgeBase
from calcitrack.kb.schema import Source

PATIENT_GRADES: frozenset[str] = frozenset({"G", "R"})
"""Grades a patient letter may cite: guideline/consensus and peer-reviewed literature."""

_SEED_FILE = re.compile(r"^(\d{3})_[0-9a-f]+\.txt$")


def display_id(source_id: str) -> str:
    """The label a reader sees for a source id: a seed file name becomes its reference number ("S1")."""
    match = _SEED_FILE.match(source_id)
    return f"S{int(match.group(1)) + 1}" if match else source_id


def display_short(source: Source) -> str:
    """The short name shown for a source: the title of a French source (the short names are English
    labels), never a file name."""
    if _SEED_FILE.match(source.short) or source_lang(source) == "fr":
        return source.title
    return source.short


def for_patient(kb: KnowledgeBase, source_id: str) -> bool:
    """Whether a patient may be shown ``source_id`` (known to the KB and guideline or peer-reviewed)."""
    source = kb.sources.get(source_id)
    return source is not None and source.grade in PATIENT_GRADES


def strength_key(grade: str) -> str:
    """The KB text key that names a grade's evidence strength for a reader (``source.grade.<grade>``)."""
    return f"source.grade.{grade}"


_FRENCH = re.compile(r"\(FR\b|\bFR\)")


def source_lang(source: Source) -> str:
    """The language of a source's title ("fr" when sources.yaml marks it French, else "en"), so a page can
    mark a citation as the foreign-language text it is."""
    return "fr" if _FRENCH.search(source.short) or _FRENCH.search(source.note or "") else "en"
