"""Longitudinal linking: which earlier lesion is this one, and how did it change?

Why ingest computes change itself: reports often omit the comparison ("6 mm" then "11 mm" with no
word about growth). Why in the application layer, not the registry: the growth threshold and the
features that escalate are clinical constants of the knowledge base, and the registry only stores what
was decided (:mod:`calcitrack.registry.store`). The rule (documented in docs/registry.md):

* linking works on lesions (:mod:`calcitrack.lesions`), never on single mentions: candidates are the
  patient's earlier affirmed, current lesions that are the latest of their chain (no later lesion links
  to them), in the same organ;
* a known site on both sides must be equal; equal sites score 4, an equal pattern 1, close sizes up to 1;
* when neither side gives a site, the link is made only if the organ holds exactly one candidate and
  the new report exactly one lesion there (otherwise the lesion is ambiguous and stays unlinked);
* pairs are assigned greedily by score, most recent candidate first on ties, one-to-one.

Size change: growth is an increase of at least ``growth.min_mm`` *and* ``growth.min_fraction`` of the
earlier size (6 -> 11 mm is growth; 10 -> 11 mm is measurement noise); shrinkage symmetric. Those
numbers, and the features whose appearance escalates a follow-up, are clinical constants of the
knowledge base (``kb/data/constants.yaml``, with their sources), not of this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from calcitrack.kb import KnowledgeBase, get_kb
from calcitrack.models import Finding, IntervalChange, Lesion


@dataclass(frozen=True)
class Candidate:
    """An earlier lesion as linking sees it (decoupled from the ORM so the rule is testable alone)."""

    pk: int
    organ: str
    site: str | None
    size_mm: float | None
    pattern: str | None
    associated_mass: bool | None
    duct_dilatation: bool | None
    order: int


def compute_change(
    prior_mm: float | None, current_mm: float | None, kb: KnowledgeBase | None = None
) -> IntervalChange | None:
    """Interval change from two sizes; ``None`` when either size is unknown."""
    if prior_mm is None or current_mm is None:
        return None
    growth = (kb or get_kb()).constants.growth
    delta = current_mm - prior_mm
    if delta >= growth.min_mm and delta >= growth.min_fraction * prior_mm:
        return IntervalChange.increased
    if -delta >= growth.min_mm and -delta >= growth.min_fraction * prior_mm:
        return IntervalChange.decreased
    return IntervalChange.stable


def new_suspicious_features(
    finding: Finding | Lesion, prior: Candidate | None, kb: KnowledgeBase | None = None
) -> list[str]:
    """Features that escalate a follow-up (KB ``escalation.new_features``) present now and not known to
    be present before."""
    features = []
    for name in (kb or get_kb()).constants.escalation.new_features:
        if getattr(finding, name) is True and (prior is None or getattr(prior, name) is not True):
            features.append(name)
    return features


def _score(finding: Finding | Lesion, candidate: Candidate) -> float | None:
    if finding.organ.value != candidate.organ:
        return None
    if finding.site and candidate.site and finding.site != candidate.site:
        return None
    score = 0.0
    if finding.site and candidate.site:
        score += 4.0
    if finding.pattern and candidate.pattern and finding.pattern.value == candidate.pattern:
        score += 1.0
    if finding.size_mm is not None and candidate.size_mm is not None:
        score += 1.0 / (1.0 + abs(finding.size_mm - candidate.size_mm) / 10.0)
    return score


def link(findings: Sequence[Finding | Lesion], candidates: Sequence[Candidate]) -> dict[str, Candidate]:
    """Map lesion ids of a new report to the earlier lesion row of the same lesion (see module doc)."""
    linkable = [f for f in findings if not f.historical]
    pairs: list[tuple[float, int, str, Candidate]] = []
    for finding in linkable:
        for candidate in candidates:
            score = _score(finding, candidate)
            if score is None:
                continue
            if not (finding.site and candidate.site):
                same_organ_new = [f for f in linkable if f.organ == finding.organ]
                same_organ_old = [c for c in candidates if c.organ == candidate.organ]
                if len(same_organ_new) != 1 or len(same_organ_old) != 1:
                    continue
            pairs.append((score, candidate.order, finding.id, candidate))
    pairs.sort(key=lambda item: (item[0], item[1]), reverse=True)
    matched: dict[str, Candidate] = {}
    used: set[int] = set()
    for _score_value, _order, finding_id, candidate in pairs:
        if finding_id in matched or candidate.pk in used:
            continue
        matched[finding_id] = candidate
        used.add(candidate.pk)
    return matched
