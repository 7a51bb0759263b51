"""declines: who said "No thanks" to a double opt-in proposal with whom, so later rounds do not propose it again

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declines",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("declined_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_declines_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_declines_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["declined_id"], ["members.id"], name=op.f("fk_declines_declined_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "member_id", "declined_id", name=op.f("pk_declines")),
    )


def downgrade() -> None:
    op.drop_table("declines")
