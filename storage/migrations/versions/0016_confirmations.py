"""confirmations: a consequential organiser action (replacing an answered poll, moving the event...) waits for
its "Yes", which acts on exactly what the question showed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_confirmations_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_confirmations_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmations")),
    )
    with op.batch_alter_table("confirmations") as batch:
        batch.create_index(batch.f("ix_confirmations_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_confirmations_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("confirmations") as batch:
        batch.drop_index(batch.f("ix_confirmations_member_id"))
        batch.drop_index(batch.f("ix_confirmations_event_id"))
    op.drop_table("confirmations")
