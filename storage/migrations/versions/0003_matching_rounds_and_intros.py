"""matching rounds and intros

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("followup_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_rounds_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_rounds_event_id")),
    )
    op.create_table(
        "starters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("interest", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_starters_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_starters")),
    )
    with op.batch_alter_table("starters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_starters_event_id"), ["event_id"], unique=False)

    op.create_table(
        "intro_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_intro_groups_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intro_groups")),
    )
    with op.batch_alter_table("intro_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intro_groups_round_id"), ["round_id"], unique=False)

    op.create_table(
        "intros",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("met", sa.String(length=8), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("followup_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["intro_groups.id"], name=op.f("fk_intros_group_id_intro_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_intros_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_intros_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intros")),
        sa.UniqueConstraint("round_id", "member_id", name=op.f("uq_intros_round_id")),
    )
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intros_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intros_member_id"), ["member_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_size", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("double_opt_in", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("rules", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cross_platform_ok", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("role")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("cross_platform_ok")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("rules")
        batch_op.drop_column("double_opt_in")
        batch_op.drop_column("group_size")

    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intros_member_id"))
        batch_op.drop_index(batch_op.f("ix_intros_group_id"))

    op.drop_table("intros")
    with op.batch_alter_table("intro_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intro_groups_round_id"))

    op.drop_table("intro_groups")
    with op.batch_alter_table("starters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_starters_event_id"))

    op.drop_table("starters")
    op.drop_table("rounds")
