"""Lesions: which mentions of a report name the same calcification (clinical reference §3.3).

This is the one definition of "the same lesion" inside a report. The engine assesses lesions, the
explanations write one paragraph per lesion, the registry links lesions over time, and FHIR, CDS Hooks,
the web timeline and the batch tables show one row per lesion; all of them take the grouping from here.

Why grouping matters: a report names a lesion in its findings ("a 4 mm echogenic focus ... consistent
with a punctate calcification") and again in its impression ("tiny hepatic calcification, likely
granulomatous"). Assessed one by one, the terse restatement lacks the size and reaches the generic
fallback, so one lesion gets two actions. Grouped, the size comes from one mention, the radiologist's
characterisation from the other, and the lesion gets one assessment.

The rule, kept deliberately simple so that a reader can predict it:

* mentions group only with mentions of the same standing: affirmed current ones together, negated ones
  together, historical ones together (a denial or a past event is not a description of today's lesion);
* two mentions are compatible when the organ (and for out-of-scope organs the structure) is the same,
  known sites are equal, and known sizes agree within :data:`SIZE_TOLERANCE_MM` or
  :data:`SIZE_TOLERANCE_FRACTION`;
* a mention joins the first compatible lesion, unless the words just before it introduce another one
  ("another", "a second", "une autre"), in which case it starts a lesion of its own;
* the main mention is the most detailed (site, size, pattern, findings section), the first on ties.
"""

from __future__ import annotations

import heapq
import re
from bisect import insort
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calcitrack.models import Characterisation, Finding, Lesion, Organ, Section

SIZE_TOLERANCE_MM = 1.0
SIZE_TOLERANCE_FRACTION = 0.15
"""Sizes of two mentions of one lesion may differ by rounding ("8 mm" and "0.9 cm")."""

_ANOTHER = re.compile(
    r"\b(?:another|other|additional|second|further|separate|autres?|seconde?|deuxi[eè]me|nouvelle\s+autre)"
    r"(?:\s+\w+){0,3}\s*$",
    re.IGNORECASE,
)

_MERGED_VALUES = ("organ_detail", "site", "count", "size_mm", "pattern", "interval_change")
_MERGED_FLAGS = ("acoustic_shadow", "duct_dilatation", "associated_mass")


def _standing(finding: Finding) -> str:
    if finding.negated:
        return "negated"
    if finding.historical:
        return "historical"
    return "current"


def _sizes_agree(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return True
    return abs(a - b) <= max(SIZE_TOLERANCE_MM, SIZE_TOLERANCE_FRACTION * max(a, b))


def compatible(a: Finding | Lesion, b: Finding | Lesion) -> bool:
    """Whether two mentions (or a mention and a lesion) can describe the same calcification."""
    if a.organ != b.organ:
        return False
    if a.organ == Organ.other and a.organ_detail and b.organ_detail and a.organ_detail != b.organ_detail:
        return False
    if a.site and b.site and a.site != b.site:
        return False
    return _sizes_agree(a.size_mm, b.size_mm)


def _profile(finding: Finding) -> tuple[object, ...]:
    """What :func:`compatible` reads of a mention."""
    return (finding.organ, finding.organ_detail, finding.site, finding.size_mm)


def _introduces_another(finding: Finding, text: str | None) -> bool:
    if not text or finding.evidence is None:
        return False
    before = text[max(0, finding.evidence.start - 40):finding.evidence.start]
    return _ANOTHER.search(before) is not None


def _detail(finding: Finding) -> tuple[int, int, int, int]:
    return (
        int(finding.site is not None),
        int(finding.size_mm is not None),
        int(finding.pattern is not None),
        int(finding.section == Section.findings),
    )


def group_lesions(
    findings: Sequence[Finding], text: str | None = None, folded: Mapping[str, Sequence[Finding]] | None = None
) -> list[Lesion]:
    """The lesions of one report, in order of their first mention; ids ``l1``, ``l2``, ...

    ``text`` (the report) lets a mention introduced as "another ..." start a lesion of its own; without
    it, grouping uses the mentions' attributes alone. ``folded`` (by mention id) holds the supporting
    nouns the reader folded into a mention ("calcul", "image calcique"): they fill the lesion's gaps (size,
    site, labels) after its mentions, without being mentions.
    """
    ordered = sorted(findings, key=lambda f: f.evidence.start if f.evidence else 0)
    groups: list[list[Finding]] = []
    # per group, one member for each distinct (organ, detail, site, size): compatible() reads nothing
    # else, so checking those few stands for checking every member (a long report can repeat one lesion
    # thousands of times)
    profiles: list[dict[tuple[object, ...], Finding]] = []
    # Which groups a mention may join, in group order, without trying them all (a long report has hundreds
    # of lesions): a group holds one standing and one organ, and at most one known site (compatible()
    # refuses two known sites that differ). ``by_organ`` lists the groups of a (standing, organ);
    # ``by_site`` the same split by the group's known site (None until a member brings one).
    by_organ: dict[tuple[str, Organ], list[int]] = {}
    by_site: dict[tuple[str, Organ, str | None], list[int]] = {}
    sites: list[str | None] = []
    for finding in ordered:
        standing = _standing(finding)
        site = finding.site or None  # as compatible() reads it: an empty site is unknown
        target = None
        if not _introduces_another(finding, text):
            for index in _candidates(finding, standing, site, by_organ, by_site):
                if all(compatible(member, finding) for member in profiles[index].values()):
                    target = index
                    break
        if target is None:
            target = len(groups)
            groups.append([finding])
            profiles.append({})
            sites.append(site)
            by_organ.setdefault((standing, finding.organ), []).append(target)
            by_site.setdefault((standing, finding.organ, site), []).append(target)
        else:
            groups[target].append(finding)
            if sites[target] is None and site is not None:  # the group now has a known site
                by_site[(standing, finding.organ, None)].remove(target)
                insort(by_site.setdefault((standing, finding.organ, site), []), target)
                sites[target] = site
        profiles[target].setdefault(_profile(finding), finding)
    extra = folded or {}
    return [_merge(group, f"l{i}", [f for m in group for f in extra.get(m.id, ())])
            for i, group in enumerate(groups, start=1)]


def _candidates(
    finding: Finding, standing: str, site: str | None, by_organ: dict[tuple[str, Organ], list[int]],
    by_site: dict[tuple[str, Organ, str | None], list[int]],
) -> Iterable[int]:
    """The groups ``finding`` could join, in group order: same standing and organ, and when it has a site,
    only groups with that site or none yet (any other group holds a mention compatible() refuses)."""
    if site is None:
        return by_organ.get((standing, finding.organ), [])
    return heapq.merge(by_site.get((standing, finding.organ, site), []),
                       by_site.get((standing, finding.organ, None), []))


def _merge(mentions: list[Finding], lesion_id: str, folded: Sequence[Finding] = ()) -> Lesion:
    """One lesion from its mentions: the main mention's values, gaps filled in text order, then from the
    supporting nouns folded into them."""
    main = max(mentions, key=_detail)  # max() keeps the first of equals: the earliest mention
    ordered = [main, *(m for m in mentions if m is not main), *folded]
    data: dict[str, Any] = {}
    conflicts: dict[str, list[Any]] = {}
    for name in _MERGED_VALUES:
        values = [getattr(m, name) for m in ordered if getattr(m, name) is not None]
        data[name] = values[0] if values else None
        distinct = list(dict.fromkeys(str(getattr(v, "value", v)) for v in values))
        if len(distinct) > 1:
            conflicts[name] = distinct
    for name in _MERGED_FLAGS:
        values = [getattr(m, name) for m in mentions]
        data[name] = True if True in values else (False if False in values else None)
    labels: dict[str, Characterisation] = {}
    for mention in [*mentions, *folded]:
        for item in mention.characterisation:
            labels.setdefault(item.label, item)
    return Lesion(
        id=lesion_id,
        finding_ids=[m.id for m in mentions],
        main_finding_id=main.id,
        organ=main.organ,
        negated=all(m.negated for m in mentions),
        historical=all(m.historical for m in mentions),
        uncertain=all(m.uncertain for m in mentions),
        section=main.section,
        lang=main.lang,
        characterisation=list(labels.values()),
        conflicts=conflicts,
        evidence=main.evidence,
        **data,
    )


def lesion_of(lesions: Sequence[Lesion], finding_id: str) -> Lesion | None:
    """The lesion a mention belongs to."""
    return next((lesion for lesion in lesions if finding_id in lesion.finding_ids), None)


def as_lesion(finding: Finding) -> Lesion:
    """A lone mention as a lesion of one mention (the engine's unit for a finding assessed by itself)."""
    return _merge([finding], "l1")


def in_scope(lesion: Lesion) -> bool:
    """Organs the knowledge base decides for (``other`` is passed to other pathways)."""
    return lesion.organ != Organ.other
