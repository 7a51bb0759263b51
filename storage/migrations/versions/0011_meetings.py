"""meetings at the event: slots, places, seats and bookings

Every rule that must hold under concurrency is a key: a place's capacity is its numbered seats, a member's
time is five-minute blocks, a group has one live meeting.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_meeting_places_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_places")),
        sa.UniqueConstraint("event_id", "name", name=op.f("uq_meeting_places_event_id")),
    )
    op.create_table(
        "meeting_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_meeting_slots_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_slots")),
        sa.UniqueConstraint("event_id", "starts_at", name=op.f("uq_meeting_slots_event_id")),
    )
    op.create_table(
        "meeting_place_seats",
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["meeting_places.id"],
            name=op.f("fk_meeting_place_seats_place_id_meeting_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("place_id", "seat", name=op.f("pk_meeting_place_seats")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place_name", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_meetings_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["intro_groups.id"], name=op.f("fk_meetings_group_id_intro_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["meeting_places.id"], name=op.f("fk_meetings_place_id_meeting_places"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["meeting_slots.id"], name=op.f("fk_meetings_slot_id_meeting_slots"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_group_id"), ["group_id"], unique=False)

    op.create_table(
        "meeting_busy",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_busy_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_meeting_busy_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "minute", name=op.f("pk_meeting_busy")),
    )
    with op.batch_alter_table("meeting_busy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_busy_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("slot_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'sent', 'booked', 'closed')", name=op.f("ck_meeting_proposals_state")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["intro_groups.id"],
            name=op.f("fk_meeting_proposals_group_id_intro_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"], ["members.id"], name=op.f("fk_meeting_proposals_proposer_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_proposals_replaces_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_proposals")),
    )
    with op.batch_alter_table("meeting_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_proposals_group_id"), ["group_id"], unique=False)

    op.create_table(
        "meeting_seats",
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["intro_groups.id"], name=op.f("fk_meeting_seats_group_id_intro_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_seats_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["place_id", "seat"],
            ["meeting_place_seats.place_id", "meeting_place_seats.seat"],
            name=op.f("fk_meeting_seats_place_id_meeting_place_seats"),
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["meeting_slots.id"], name=op.f("fk_meeting_seats_slot_id_meeting_slots")),
        sa.PrimaryKeyConstraint("slot_id", "place_id", "seat", name=op.f("pk_meeting_seats")),
        sa.UniqueConstraint("group_id", name=op.f("uq_meeting_seats_group_id")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_meeting_seats_meeting_id")),
    )
    op.create_table(
        "meeting_acceptances",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_meeting_acceptances_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["meeting_proposals.id"],
            name=op.f("fk_meeting_acceptances_proposal_id_meeting_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["meeting_slots.id"],
            name=op.f("fk_meeting_acceptances_slot_id_meeting_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "member_id", "slot_id", name=op.f("pk_meeting_acceptances")),
    )
    op.create_table(
        "meeting_grid_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("cancels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_meeting_grid_changes_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_grid_changes")),
    )
    with op.batch_alter_table("meeting_grid_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_grid_changes_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_grid_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_grid_changes_event_id"))
    op.drop_table("meeting_grid_changes")
    op.drop_table("meeting_acceptances")
    op.drop_table("meeting_seats")
    with op.batch_alter_table("meeting_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_proposals_group_id"))

    op.drop_table("meeting_proposals")
    with op.batch_alter_table("meeting_busy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_busy_meeting_id"))

    op.drop_table("meeting_busy")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_group_id"))
        batch_op.drop_index(batch_op.f("ix_meetings_event_id"))

    op.drop_table("meetings")
    op.drop_table("meeting_place_seats")
    op.drop_table("meeting_slots")
    op.drop_table("meeting_places")
