"""Grouping mentions into lesions (calcitrack.lesions): the one definition every layer uses."""

from __future__ import annotations

from calcitrack.lesions import as_lesion, compatible, group_lesions, in_scope, lesion_of
from calcitrack.models import Characterisation, Evidence, Finding


def mention(fid: str, start: int, **fields: object) -> Finding:
    data = {"id": fid, "organ": "liver", "evidence": {"start": start, "end": start + 5, "text": "calci"}, **fields}
    return Finding.model_validate(data)


def test_restatement_joins_the_detailed_mention_and_fills_gaps() -> None:
    detailed = mention("f1", 10, site="segment_VII", size_mm=4, pattern="punctate", count="single")
    restated = mention(
        "f2", 90, section="impression",
        characterisation=[Characterisation(label="granuloma", evidence=Evidence(start=95, end=104, text="granuloma"))],
    )
    (lesion,) = group_lesions([restated, detailed])
    assert lesion.finding_ids == ["f1", "f2"] and lesion.main_finding_id == "f1"
    assert (lesion.site, lesion.size_mm, lesion.pattern, lesion.count) == ("segment_VII", 4, "punctate", "single")
    assert lesion.labels == ["granuloma"] and lesion.conflicts == {}


def test_different_sites_or_sizes_are_different_lesions() -> None:
    lesions = group_lesions([
        mention("f1", 0, site="segment_VII", size_mm=4),
        mention("f2", 50, site="segment_II", size_mm=4),
        mention("f3", 90, site="segment_VII", size_mm=15),
    ])
    assert [lesion.finding_ids for lesion in lesions] == [["f1"], ["f2"], ["f3"]]


def test_sizes_within_rounding_are_the_same_lesion() -> None:
    (lesion,) = group_lesions([mention("f1", 0, size_mm=8), mention("f2", 40, size_mm=9, section="impression")])
    assert lesion.size_mm == 8 and lesion.conflicts == {"size_mm": ["8.0", "9.0"]}


def test_negated_and_historical_mentions_never_join_a_current_lesion() -> None:
    lesions = group_lesions([
        mention("f1", 0, size_mm=5),
        mention("f2", 30, negated=True),
        mention("f3", 60, historical=True),
    ])
    assert [(lesion.finding_ids, lesion.current) for lesion in lesions] == [
        (["f1"], True), (["f2"], False), (["f3"], False)
    ]
    assert lesions[1].negated and lesions[2].historical


def test_words_introducing_another_lesion_start_a_new_one() -> None:
    text = "A calcification in the liver. Another calcification is seen."
    first = mention("f1", text.index("calcification"))
    second = mention("f2", text.index("calcification", 20))
    assert [lesion.finding_ids for lesion in group_lesions([first, second], text)] == [["f1"], ["f2"]]
    assert [lesion.finding_ids for lesion in group_lesions([first, second])] == [["f1", "f2"]]


def test_flags_are_true_when_any_mention_states_them() -> None:
    (lesion,) = group_lesions([mention("f1", 0, associated_mass=False), mention("f2", 20, associated_mass=True)])
    assert lesion.associated_mass is True


def test_helpers() -> None:
    lone = mention("f7", 0, organ="spleen", size_mm=3)
    lesion = as_lesion(lone)
    assert lesion.finding_ids == ["f7"] and lesion.main_finding_id == "f7" and in_scope(lesion)
    assert lesion_of([lesion], "f7") is lesion and lesion_of([lesion], "f9") is None
    assert not compatible(lone, mention("f8", 5, organ="liver"))
    aorta = mention("f9", 0, organ="other", organ_detail="vascular")
    assert not in_scope(as_lesion(aorta))
    assert not compatible(aorta, mention("f10", 9, organ="other", organ_detail="thorax"))


def _first_compatible_grouping(findings: list[Finding]) -> list[list[str]]:
    """The rule as the module docstring states it, written the slow, obvious way: each mention joins the
    first earlier lesion of its standing whose every mention is compatible with it."""
    from calcitrack.lesions import _standing

    groups: list[list[Finding]] = []
    for finding in sorted(findings, key=lambda f: f.evidence.start if f.evidence else 0):
        for group in groups:
            if _standing(group[0]) == _standing(finding) and all(compatible(m, finding) for m in group):
                group.append(finding)
                break
        else:
            groups.append([finding])
    return [[m.id for m in group] for group in groups]


def test_the_indexed_grouping_is_the_first_compatible_rule_on_random_reports() -> None:
    """group_lesions looks only at the groups of the mention's standing, organ and site (linear time on long
    reports); on random mixes of organs, sites (known or not), sizes and standings it groups exactly as
    trying every group in order does."""
    import random

    rng = random.Random(1717)
    for _ in range(300):
        findings = [
            mention(f"f{i}", i * 10, organ=rng.choice(["liver", "spleen"]),
                    site=rng.choice([None, None, "segment_II", "segment_VII", "dome"]),
                    size_mm=rng.choice([None, 4, 4.5, 6, 8, 15]), negated=rng.random() < 0.15,
                    historical=rng.random() < 0.1)
            for i in range(rng.randint(1, 25))
        ]
        assert [lesion.finding_ids for lesion in group_lesions(findings)] == _first_compatible_grouping(findings)


def test_folded_supporting_noun_fills_the_lesion_without_being_a_mention() -> None:
    host = mention("f1", 90, section="impression")
    folded = mention("f0", 10, site="segment_VIII", size_mm=12)
    (lesion,) = group_lesions([host], folded={"f1": [folded]})
    assert lesion.finding_ids == ["f1"]
    assert (lesion.site, lesion.size_mm) == ("segment_VIII", 12)


def test_calcic_image_reaches_the_lesion_of_the_conclusion() -> None:
    from calcitrack.service import analyze

    text = ("Foie : image calcique de 12 mm du segment VIII, non rehaussée.\n"
            "Conclusion : calcification hépatique.")
    result = analyze(text, lang="fr")
    assert [f.evidence.text for f in result.findings if f.evidence] == ["calcification"]
    (lesion,) = result.lesions
    assert (lesion.size_mm, lesion.site) == (12, "segment_VIII")
