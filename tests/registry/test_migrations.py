"""Migration 0002 (lesions): data stored before lesions existed is carried over, nothing is lost."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from calcitrack.registry.db import make_engine, upgrade


def _insert_old_series(connection: object) -> None:
    run = connection.execute  # type: ignore[attr-defined]
    now = dt.datetime(2025, 1, 1)
    run(text("INSERT INTO patients (id, key, created_at) VALUES (1, 'P1', :now)"), {"now": now})
    for pk, day in ((1, "2025-01-01"), (2, "2025-07-01")):
        run(text(
            "INSERT INTO reports (id, report_id, version, is_current, patient_pk, date, modality, lang, content_hash,"
            " text, policy, kb_version, n_findings, context, ingested_at) VALUES (:pk, :rid, 1, :cur, 1, :day, 'US',"
            " 'en', 'h', 'x', 'seed', 'k', 2, '{}', :now)"
        ), {"pk": pk, "rid": f"r{pk}", "cur": True, "day": dt.date.fromisoformat(day), "now": now})
    rows = [  # report 1: f1 + its restatement f2; report 2: f3 linked to f1, restated by f4
        (1, 1, "f1", 6.0, None, None), (2, 1, "f2", None, None, 1),
        (3, 2, "f1", 12.0, 1, None), (4, 2, "f2", 12.0, None, 3),
    ]
    for pk, report, key, size, prior, mention_of in rows:
        run(text(
            "INSERT INTO findings (id, report_pk, patient_pk, key, organ, site, size_mm, negated, historical,"
            " prior_finding_pk, mention_of_pk, data) VALUES (:pk, :r, 1, :key, 'liver', 'segment_VI', :size,"
            " :f, :f, :prior, :mention_of, '{\"count\": \"single\"}')"
        ), {"pk": pk, "r": report, "key": key, "size": size, "prior": prior, "mention_of": mention_of, "f": False})
    run(text(
        "INSERT INTO assessments (id, finding_pk, action, policy, kb_version, recomputed, data)"
        " VALUES (1, 3, 'workup', 'seed', 'k', :f, '{}')"
    ), {"f": False})
    run(text(
        "INSERT INTO follow_ups (id, patient_pk, finding_pk, action, what, opened_on, due_date, status, origin,"
        " escalation_role, created_at, updated_at) VALUES (1, 1, 3, 'workup', 'MRI', :day, :day, 'pending',"
        " 'assessment', 'coordinator', :now, :now)"
    ), {"day": dt.date(2025, 7, 1), "now": now})


def test_upgrade_carries_mentions_over_into_lesions(db_url: str) -> None:
    engine: Engine = make_engine(db_url)
    try:
        upgrade(engine, "0100")
        with engine.begin() as connection:
            _insert_old_series(connection)
        upgrade(engine)
        with engine.connect() as connection:
            lesions = connection.execute(text(
                "SELECT id, report_pk, key, size_mm, count, prior_lesion_pk, main_finding_pk FROM lesions ORDER BY id"
            )).all()
            findings = dict(connection.execute(text("SELECT id, lesion_pk FROM findings")).all())
            assessment = connection.execute(text("SELECT lesion_pk FROM assessments")).scalar()
            follow_up = connection.execute(text("SELECT lesion_pk FROM follow_ups")).scalar()
    finally:
        engine.dispose()
    assert [(r[1], r[2], r[3], r[4], r[6]) for r in lesions] == [
        (1, "l1", 6.0, "single", 1), (2, "l1", 12.0, "single", 3)
    ]
    first, second = lesions[0][0], lesions[1][0]
    assert lesions[1][5] == first  # the link between findings became a link between lesions
    assert findings == {1: first, 2: first, 3: second, 4: second}
    assert assessment == second and follow_up == second
