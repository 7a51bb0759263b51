"""inbox retention: an index to find the oldest handled updates, which a periodic job deletes in batches

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_inbox_handled", "inbox", ["status", "handled_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_handled", table_name="inbox")
