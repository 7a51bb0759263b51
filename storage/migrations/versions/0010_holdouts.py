"""holdouts: an event's randomised holdout and each member's draw

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holdouts",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_holdouts_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_holdouts")),
    )
    op.create_table(
        "holdout_draws",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Boolean(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_someone_new", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_holdout_draws_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_holdout_draws_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "member_id", name=op.f("pk_holdout_draws")),
    )
    with op.batch_alter_table("holdout_draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holdout_draws_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("holdout_draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holdout_draws_member_id"))
    op.drop_table("holdout_draws")
    op.drop_table("holdouts")
