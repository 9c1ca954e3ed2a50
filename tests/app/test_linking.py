"""The linking rule and the growth tolerance, without a database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calcitrack.app.linking import Candidate, compute_change, link, new_suspicious_features
from calcitrack.models import Finding, IntervalChange


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (6, 11, IntervalChange.increased),
        (6, 8, IntervalChange.increased),  # +2 mm and +33 %
        (10, 11.5, IntervalChange.stable),  # +1.5 mm: measurement noise
        (20, 23, IntervalChange.stable),  # +3 mm but only +15 %
        (20, 24, IntervalChange.increased),
        (11, 6, IntervalChange.decreased),
        (6, 6, IntervalChange.stable),
        (None, 6, None),
        (6, None, None),
    ],
)
def test_compute_change_tolerance(before: float | None, after: float | None, expected: IntervalChange | None) -> None:
    assert compute_change(before, after) == expected


def _cand(pk: int, site: str | None, size: float | None = 5, organ: str = "liver", **kw: object) -> Candidate:
    values: dict[str, object] = {"pattern": None, "associated_mass": None, "duct_dilatation": None, **kw}
    return Candidate(pk=pk, organ=organ, site=site, size_mm=size, order=pk, **values)  # type: ignore[arg-type]


def _find(fid: str, site: str | None, size: float | None = 5, organ: str = "liver", **kw: object) -> Finding:
    return Finding.model_validate({"id": fid, "organ": organ, "site": site, "size_mm": size, **kw})


def test_site_must_agree_when_both_known() -> None:
    assert link([_find("f1", "segment_VI")], [_cand(1, "segment_II")]) == {}
    assert link([_find("f1", "segment_VI")], [_cand(1, "segment_VI")])["f1"].pk == 1


def test_two_lesions_matched_one_to_one_by_site() -> None:
    links = link(
        [_find("a", "segment_II", 4), _find("b", "segment_VI", 9)],
        [_cand(1, "segment_VI", 8), _cand(2, "segment_II", 4)],
    )
    assert {k: v.pk for k, v in links.items()} == {"a": 2, "b": 1}


def test_unknown_sites_link_only_when_unambiguous() -> None:
    assert link([_find("f1", None)], [_cand(1, None)])["f1"].pk == 1
    assert link([_find("f1", None)], [_cand(1, None), _cand(2, "segment_II")]) == {}
    assert link([_find("f1", None), _find("f2", None)], [_cand(1, None)]) == {}


def test_other_organ_never_links() -> None:
    assert link([_find("f1", None, organ="spleen")], [_cand(1, None)]) == {}


def test_historical_mentions_are_not_linked() -> None:
    assert link([_find("f1", "segment_VI", historical=True)], [_cand(1, "segment_VI")]) == {}


def test_new_suspicious_features() -> None:
    prior = _cand(1, "segment_VI", associated_mass=True)
    finding = _find("f1", "segment_VI", associated_mass=True, duct_dilatation=True)
    assert new_suspicious_features(finding, prior) == ["duct_dilatation"]
    assert new_suspicious_features(finding, None) == ["associated_mass", "duct_dilatation"]


def test_growth_threshold_and_escalating_features_come_from_the_knowledge_base(tmp_path: Path) -> None:
    # a clinician edits kb/data/constants.yaml; the registry follows without a code change
    from calcitrack.kb.loader import kb_dir, load_kb

    data = tmp_path / "kb"
    shutil.copytree(kb_dir(), data)
    constants = (data / "constants.yaml").read_text(encoding="utf-8")
    constants = constants.replace("min_mm: 2.0", "min_mm: 6.0").replace(
        "new_features: [associated_mass, duct_dilatation]", "new_features: [associated_mass]"
    )
    (data / "constants.yaml").write_text(constants, encoding="utf-8")
    edited = load_kb(data)
    assert compute_change(6, 11) == IntervalChange.increased
    assert compute_change(6, 11, edited) == IntervalChange.stable  # +5 mm is now below the threshold
    finding = Finding.model_validate({"organ": "liver", "associated_mass": True, "duct_dilatation": True})
    assert new_suspicious_features(finding, None, edited) == ["associated_mass"]
