"""Follow-up fulfilment: which exam modalities fulfil a follow-up, and a later exam that did not.

Why: any later report of a lesion used to close its follow-up, so a routine ultrasound "fulfilled" a
recommended MRI. A follow-up now records the modalities that fulfil it (``accepted_modalities``, from
the recommendation that opened it; NULL = any exam of the lesion, as before), and a later exam of the
same lesion that does not fulfil it is linked (``exam_received_pk``, ``exam_received_on``) and shown as
"exam received, does not fulfil" for the coordinator to decide. Existing follow-ups keep NULL: they are
fulfilled as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("follow_ups", sa.Column("accepted_modalities", sa.String(length=32), nullable=True))
    op.add_column("follow_ups", sa.Column("exam_received_on", sa.Date(), nullable=True))
    # A plain ADD COLUMN ... REFERENCES on SQLite (no table copy: other tables reference follow_ups).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE follow_ups ADD COLUMN exam_received_pk INTEGER REFERENCES reports (id)")
    else:
        op.add_column("follow_ups", sa.Column("exam_received_pk", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_follow_ups_exam_received_pk_reports", "follow_ups", "reports", ["exam_received_pk"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_follow_ups_exam_received_pk_reports", "follow_ups", type_="foreignkey")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_column("exam_received_on")
        batch_op.drop_column("exam_received_pk")
        batch_op.drop_column("accepted_modalities")
