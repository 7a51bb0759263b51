"""dashboard passes and app secrets: one-time sign-in links, sessions, confirmations; a generated signing key

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )
    op.create_table(
        "dashboard_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_dashboard_passes_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_passes")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_dashboard_passes_nonce_hash")),
    )
    with op.batch_alter_table("dashboard_passes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_passes_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_passes_member_id"))
    op.drop_table("dashboard_passes")
    op.drop_table("app_secrets")
