"""Initial schema: patients, reports, findings, assessments, follow-ups, append-only audit.

The audit table gets triggers that forbid UPDATE and DELETE on both SQLite and PostgreSQL, so that
the trail stays append-only even for someone bypassing the registry API.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copy (a migration must not change when the models do).
OPEN_PREDICATE = "status IN ('pending', 'notified', 'scheduled', 'overdue')"


def upgrade() -> None:
    _create_tables()
    _create_audit_triggers()


def _create_tables() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entity", ["entity", "entity_pk"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("kb_version", sa.String(length=64), nullable=False),
        sa.Column("n_findings", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "version", name="uq_reports_report_id_version"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_patient_date", ["patient_pk", "date"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_report_id"), ["report_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("organ", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("size_mm", sa.Float(), nullable=True),
        sa.Column("pattern", sa.String(length=32), nullable=True),
        sa.Column("associated_mass", sa.Boolean(), nullable=True),
        sa.Column("duct_dilatation", sa.Boolean(), nullable=True),
        sa.Column("negated", sa.Boolean(), nullable=False),
        sa.Column("historical", sa.Boolean(), nullable=False),
        sa.Column("reported_change", sa.String(length=16), nullable=True),
        sa.Column("computed_change", sa.String(length=16), nullable=True),
        sa.Column("prior_finding_pk", sa.Integer(), nullable=True),
        sa.Column("mention_of_pk", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prior_finding_pk"],
            ["findings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mention_of_pk"],
            ["findings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_patient_organ", ["patient_pk", "organ"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_prior_finding_pk"), ["prior_finding_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_report_pk"), ["report_pk"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_pk", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("kb_version", sa.String(length=64), nullable=False),
        sa.Column("recomputed", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_pk"],
            ["findings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_finding_pk"), ["finding_pk"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("finding_pk", sa.Integer(), nullable=False),
        sa.Column("assessment_pk", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("interval", sa.String(length=32), nullable=True),
        sa.Column("duration", sa.String(length=32), nullable=True),
        sa.Column("surveillance_start", sa.Date(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=True),
        sa.Column("escalation_role", sa.String(length=200), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("superseded_by_pk", sa.Integer(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_pk"],
            ["assessments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["finding_pk"],
            ["findings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_pk"],
            ["follow_ups.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_follow_ups_due", ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_ups_finding_pk"), ["finding_pk"], unique=False)
        batch_op.create_index("ix_follow_ups_patient_status", ["patient_pk", "status"], unique=False)
        batch_op.create_index("ix_follow_ups_status_due", ["status", "due_date"], unique=False)
        batch_op.create_index(
            "ix_follow_ups_open_due",
            ["due_date", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_PREDICATE),
            postgresql_where=sa.text(OPEN_PREDICATE),
        )


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION calcitrack_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _create_audit_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION calcitrack_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION calcitrack_audit_append_only()"
        )
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {verb} is not allowed'); END"
            )


def _drop_audit_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS calcitrack_audit_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_open_due")
        batch_op.drop_index("ix_follow_ups_status_due")
        batch_op.drop_index("ix_follow_ups_patient_status")
        batch_op.drop_index(batch_op.f("ix_follow_ups_finding_pk"))
        batch_op.drop_index("ix_follow_ups_due")

    op.drop_table("follow_ups")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_finding_pk"))

    op.drop_table("assessments")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_report_pk"))
        batch_op.drop_index(batch_op.f("ix_findings_prior_finding_pk"))
        batch_op.drop_index("ix_findings_patient_organ")

    op.drop_table("findings")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_report_id"))
        batch_op.drop_index("ix_reports_patient_date")

    op.drop_table("reports")
    op.drop_table("patients")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entity")

    op.drop_table("audit_events")
