"""Notifications: the clinicians' contact points and the outbox of follow-up notices.

Why an outbox table: a notice is recorded in the same transaction as the follow-up change that causes it
(ingest, sweep), and delivered afterwards with retries (``calcitrack.notify.outbox``); a dead mail server
then never blocks ingest, and nothing is lost when it is down. The unique key (follow-up, kind, channel)
makes a second "overdue" notice for the same follow-up impossible.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinicians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("fhir_reference", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_clinicians_name"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("recipient_pk", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["follow_up_pk"], ["follow_ups.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("follow_up_pk", "kind", "channel", name="uq_notifications_follow_up_kind_channel"),
    )
    op.create_index("ix_notifications_follow_up_pk", "notifications", ["follow_up_pk"])
    op.create_index("ix_notifications_status_next", "notifications", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_status_next", table_name="notifications")
    op.drop_index("ix_notifications_follow_up_pk", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("clinicians")
