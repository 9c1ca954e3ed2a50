"""The three-report series as text, through the whole pipeline: NLP -> engine -> registry.

These depend on the NLP reading the example reports correctly; the same series built from Analysis
objects (tests/app/test_ingest_record.py) pins the ingest decisions independently.
"""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import Engine, select

from calcitrack.app.ingest import default_analyzer, ingest_items, parse_line
from calcitrack.registry import session_scope
from calcitrack.registry import tables as t
from calcitrack.registry.queries import row_counts


def _example_items(patient: str) -> list:  # type: ignore[type-arg]
    lines = resources.files("calcitrack.examples").joinpath("reports.jsonl").read_text(encoding="utf-8").splitlines()
    return [parse_line(line, n) for n, line in enumerate(lines, 1) if json.loads(line)["patient_id"] == patient]


def _require_nlp_reading(items: list, expected: list[tuple[str, str, float]]) -> None:  # type: ignore[type-arg]
    """Each report reads as exactly one current lesion, as a radiologist would (text -> lesions)."""
    readings = []
    for item in items:
        analysis = default_analyzer(item.report, None, "seed")
        readings.append([(g.organ.value, g.site, g.size_mm) for g in analysis.lesions if g.current])
    assert readings == [[lesion] for lesion in expected]


def test_text_series_escalates_to_one_open_workup(engine: Engine) -> None:
    items = _example_items("DEMO-001")
    assert len(items) == 3
    _require_nlp_reading(
        items, [("liver", "segment_VI", 6.0), ("liver", "segment_VI", 6.0), ("liver", "segment_VI", 11.0)]
    )
    summary = ingest_items(engine, iter(items), policy="seed")
    assert summary.errors == [] and summary.stored == 3
    with session_scope(engine) as session:
        open_rows = session.scalars(select(t.FollowUp).where(t.FollowUp.status.in_(t.OPEN_STATUSES))).all()
        assert [r.action for r in open_rows if r.action == "surveillance"] == []
        assert len(open_rows) == 1 and open_rows[0].action in ("workup", "urgent")
        superseded = session.scalars(select(t.FollowUp).where(t.FollowUp.superseded_by_pk.is_not(None))).all()
        assert [r.action for r in superseded] == ["surveillance"]
        before = row_counts(session)
    for item in items:
        again = ingest_items(engine, iter([item]), policy="seed")
        assert again.unchanged == 1
    with session_scope(engine) as session:
        assert row_counts(session) == before


def test_french_series_links_and_keeps_surveillance(engine: Engine) -> None:
    items = _example_items("DEMO-002")
    _require_nlp_reading(items, [("liver", "segment_VII", 4.0), ("liver", "segment_VII", 4.0)])
    summary = ingest_items(engine, iter(items), policy="seed")
    assert summary.errors == [] and summary.stored == 2
    with session_scope(engine) as session:
        open_rows = session.scalars(select(t.FollowUp).where(t.FollowUp.status.in_(t.OPEN_STATUSES))).all()
        assert [r.action for r in open_rows] == ["surveillance"]
        linked = session.scalars(select(t.Finding).where(t.Finding.prior_finding_pk.is_not(None))).all()
        assert [f.computed_change for f in linked] == ["stable"]
