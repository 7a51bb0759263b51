"""where a member's time zone came from; messages passed across platforms

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone_source", sa.String(length=16), nullable=True))
    # Until now a zone could only be set with /timezone: those are the member's own choice.
    op.execute("UPDATE members SET time_zone_source = 'member' WHERE time_zone IS NOT NULL")
    op.create_table(
        "relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["intro_groups.id"], name=op.f("fk_relays_group_id_intro_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["members.id"], name=op.f("fk_relays_sender_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["members.id"], name=op.f("fk_relays_recipient_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relays")),
    )
    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relays_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relays_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relays_recipient_id"), ["recipient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relays_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_relays_sender_id"))
        batch_op.drop_index(batch_op.f("ix_relays_group_id"))
    op.drop_table("relays")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("time_zone_source")
