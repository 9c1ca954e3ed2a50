"""Lesions (schema 2.0): one row per lesion of a report; mentions, assessments and follow-ups point to it.

Why: a report names one lesion several times; the registry linked and followed mentions, so one lesion
could get two follow-ups and three timeline rows. The lesion is now the unit that is linked over time.

Existing data is carried over: each stored mention that represented its lesion (``mention_of_pk`` is
null) becomes a lesion with its own attributes, restatements (``mention_of_pk`` set) join it, and the
links between earlier and later findings become links between their lesions.

Chained after 0100 (the API tables) so that a database already at 0100 upgrades to it.

Revision ID: 0002
Revises: 0100
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lesions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("organ", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("size_mm", sa.Float(), nullable=True),
        sa.Column("count", sa.String(length=16), nullable=True),
        sa.Column("pattern", sa.String(length=32), nullable=True),
        sa.Column("associated_mass", sa.Boolean(), nullable=True),
        sa.Column("duct_dilatation", sa.Boolean(), nullable=True),
        sa.Column("negated", sa.Boolean(), nullable=False),
        sa.Column("historical", sa.Boolean(), nullable=False),
        sa.Column("reported_change", sa.String(length=16), nullable=True),
        sa.Column("computed_change", sa.String(length=16), nullable=True),
        sa.Column("prior_lesion_pk", sa.Integer(), nullable=True),
        sa.Column("main_finding_pk", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["report_pk"], ["reports.id"]),
        sa.ForeignKeyConstraint(["patient_pk"], ["patients.id"]),
        sa.ForeignKeyConstraint(["prior_lesion_pk"], ["lesions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lesions", schema=None) as batch_op:
        batch_op.create_index("ix_lesions_patient_organ", ["patient_pk", "organ"], unique=False)
        batch_op.create_index(batch_op.f("ix_lesions_report_pk"), ["report_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_lesions_prior_lesion_pk"), ["prior_lesion_pk"], unique=False)
    for table in ("findings", "assessments", "follow_ups"):
        # A plain ADD COLUMN ... REFERENCES (no table copy): SQLite cannot drop a table that others
        # reference while foreign keys are enforced, which a batch copy would need.
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} ADD COLUMN lesion_pk INTEGER REFERENCES lesions (id)")
        else:
            op.add_column(table, sa.Column("lesion_pk", sa.Integer(), nullable=True))
            op.create_foreign_key(None, table, "lesions", ["lesion_pk"], ["id"])
        op.create_index(op.f(f"ix_{table}_lesion_pk"), table, ["lesion_pk"], unique=False)
    _carry_over()


def _carry_over() -> None:
    """Lesions for the mentions stored before this revision (one lesion per representing mention)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, report_pk, patient_pk, organ, site, size_mm, pattern, associated_mass, duct_dilatation,"
            " negated, historical, reported_change, computed_change, prior_finding_pk, mention_of_pk, data"
            " FROM findings ORDER BY report_pk, id"
        )
    ).mappings().all()
    lesions = sa.table(
        "lesions", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()), *(sa.column(name) for name in (
            "report_pk", "patient_pk", "key", "organ", "site", "size_mm", "count", "pattern", "associated_mass",
            "duct_dilatation", "negated", "historical", "reported_change", "computed_change", "main_finding_pk",
        ))
    )
    lesion_of: dict[int, int] = {}
    per_report: dict[int, int] = {}
    for row in rows:
        if row["mention_of_pk"] is not None:
            continue
        per_report[row["report_pk"]] = per_report.get(row["report_pk"], 0) + 1
        data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"] or "{}")
        count = data.get("count")
        result = bind.execute(
            lesions.insert().values(
                report_pk=row["report_pk"], patient_pk=row["patient_pk"], key=f"l{per_report[row['report_pk']]}",
                organ=row["organ"], site=row["site"], size_mm=row["size_mm"],
                count=None if count is None else str(count), pattern=row["pattern"],
                associated_mass=row["associated_mass"], duct_dilatation=row["duct_dilatation"],
                negated=row["negated"], historical=row["historical"], reported_change=row["reported_change"],
                computed_change=row["computed_change"], main_finding_pk=row["id"], data={"carried_over": True},
            ).returning(lesions.c.id)
        )
        lesion_of[row["id"]] = int(result.scalar_one())
    for row in rows:
        lesion = lesion_of.get(row["mention_of_pk"] if row["mention_of_pk"] is not None else row["id"])
        if lesion is None:
            continue
        bind.execute(sa.text("UPDATE findings SET lesion_pk = :l WHERE id = :f"), {"l": lesion, "f": row["id"]})
        if row["mention_of_pk"] is None and row["prior_finding_pk"] in lesion_of:
            bind.execute(
                sa.text("UPDATE lesions SET prior_lesion_pk = :p WHERE id = :l"),
                {"p": lesion_of[row["prior_finding_pk"]], "l": lesion},
            )
    bind.execute(sa.text(
        "UPDATE assessments SET lesion_pk = (SELECT lesion_pk FROM findings WHERE findings.id = assessments.finding_pk)"
    ))
    bind.execute(sa.text(
        "UPDATE follow_ups SET lesion_pk = (SELECT lesion_pk FROM findings WHERE findings.id = follow_ups.finding_pk)"
    ))


def downgrade() -> None:
    for table in ("follow_ups", "assessments", "findings"):
        op.drop_index(op.f(f"ix_{table}_lesion_pk"), table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lesion_pk")
    with op.batch_alter_table("lesions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesions_prior_lesion_pk"))
        batch_op.drop_index(batch_op.f("ix_lesions_report_pk"))
        batch_op.drop_index("ix_lesions_patient_organ")
    op.drop_table("lesions")
