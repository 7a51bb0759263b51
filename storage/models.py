"""The tables: only what the product needs. Deleting a member cascades to every row holding their id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class MemberStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    UNREACHABLE = "unreachable"


class TimeZoneSource(StrEnum):
    MEMBER = "member"  # set with /timezone: a platform's profile never overrides it
    PLATFORM = "platform"  # read from the member's platform profile (Slack's users.info ``tz``)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(100))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    time_zone_source: Mapped[str | None] = mapped_column(String(16))  # TimeZoneSource; None: never known
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.ACTIVE)
    paused_until: Mapped[datetime | None]
    consented_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    cross_platform_ok: Mapped[bool] = mapped_column(default=False)
    current_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime]
    channel_platform: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # communities: {"every", "weekday", "time"}
    group_size: Mapped[int] = mapped_column(default=2)
    double_opt_in: Mapped[bool] = mapped_column(default=False)
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EventOrganiser(Base):
    __tablename__ = "event_organisers"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class Participant(Base):
    """A member's place in an event: joined, answered the poll, maybe left."""

    __tablename__ = "participants"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    joined_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    role: Mapped[str | None] = mapped_column(String(40))
    rsvp: Mapped[str | None] = mapped_column(String(8))  # yes / no; None: unknown
    attended: Mapped[str | None] = mapped_column(String(8))  # yes / no, asked the day after; None: unknown


class InterestOption(Base):
    __tablename__ = "interest_options"
    __table_args__ = (UniqueConstraint("event_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]


class MemberInterest(Base):
    __tablename__ = "member_interests"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(
        ForeignKey("interest_options.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Block(Base):
    """``member_id`` asked never to be matched with ``blocked_id``."""

    __tablename__ = "blocks"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]


class Decline(Base):
    """``member_id`` said "No thanks" to a proposal (double opt-in) with ``declined_id`` in this event: later
    rounds of the event do not propose them to each other again."""

    __tablename__ = "declines"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    declined_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]


class IntroHistory(Base):
    """Who was introduced to whom, and when: the matcher never repeats a pair while it can avoid it."""

    __tablename__ = "intro_history"
    __table_args__ = (Index("ix_intro_history_pair", "member_a", "member_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_a: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    member_b: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    introduced_at: Mapped[datetime]


class Starter(Base):
    """An organiser's own conversation starter for an interest of their event."""

    __tablename__ = "starters"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    interest: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(String(300))


class Round(Base):
    """One matching round of an event; ``number`` is unique per event, so a round cannot run twice."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    number: Mapped[int]
    created_at: Mapped[datetime]
    followup_sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]  # None while an organiser's round is still being written


class IntroGroup(Base):
    """A group the matcher made: its score and why (no member ids: those live in ``intros``)."""

    __tablename__ = "intro_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    shared: Mapped[list[str]] = mapped_column(JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))  # proposed (double opt-in) / introduced / dissolved


class IntroState(StrEnum):
    LEFT_OUT = "left_out"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    FREED = "freed"
    INTRODUCED = "introduced"
    SAID_HI = "said_hi"
    NOT_NOW = "not_now"


class Intro(Base):
    """A member's place in a round: their group (or why they were left out) and what they answered.

    Unique per (round, member): running the same round twice cannot introduce anyone twice.
    """

    __tablename__ = "intros"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("intro_groups.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    met: Mapped[str | None] = mapped_column(String(8))  # yes / not_yet / no
    rating: Mapped[int | None]
    followup_sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Conversation(Base):
    """A guided form in progress: its state lives here so a restart loses nothing."""

    __tablename__ = "conversations"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    form: Mapped[str] = mapped_column(String(32))
    step: Mapped[int]
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"  # taken by a worker, not yet handed to the platform: safe to give back
    SENDING = "sending"  # handed to the platform: if the worker dies now, the outcome is unknown
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    UNCERTAIN = "uncertain"


class OutboxMessage(Base):
    """A message to deliver, written in the same transaction as the change that caused it.

    ``key`` is unique per (recipient, purpose), so the same message cannot be queued twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))
    address_kind: Mapped[str] = mapped_column(String(16), default="member")
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    platform_chat_id: Mapped[str | None] = mapped_column(String(64))  # where it landed (a Slack DM channel)
    error: Mapped[str | None] = mapped_column(String(300))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)


class StepStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class CampaignStep(Base):
    """One scheduled step of an event's campaign. The schedule lives here, not in the scheduler's memory.

    ``key`` is unique per event (e.g. "intros", or "round:2026-12-01" for a community's rounds), so restarting
    or re-creating a campaign can never duplicate a step.
    """

    __tablename__ = "campaign_steps"
    __table_args__ = (UniqueConstraint("event_id", "key"), Index("ix_campaign_steps_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    day_offset: Mapped[int | None]  # days from the event's local date, at local_time
    local_time: Mapped[str | None] = mapped_column(String(5))
    minutes_before: Mapped[int | None]  # or: this many minutes before the start
    due_at: Mapped[datetime]
    enabled: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.PENDING)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finished_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(200))


class BroadcastState(StrEnum):
    DRAFT = "draft"  # previewed in the chat, waiting for the organiser's Send
    CONFIRMED = "confirmed"  # sent, or scheduled (its campaign step)
    DROPPED = "dropped"  # the preview was replaced (a newer one, or the audience changed): it never goes out
    CANCELLED = "cancelled"  # its organiser pressed the preview's Cancel
    EDITED = "edited"  # its organiser pressed the preview's Edit (and got the command back to change)


class Broadcast(Base):
    """An organiser's broadcast: its audience, and where its progress message lives. ``audience``, ``text``,
    ``scheduled_for`` and ``total`` of a draft are what its preview showed, so Send acts on exactly that."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    total: Mapped[int] = mapped_column(default=0)
    report_sent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default=BroadcastState.CONFIRMED, server_default="confirmed")
    scheduled_for: Mapped[datetime | None]


class RelayState(StrEnum):
    DRAFT = "draft"  # written, waiting for the sender's "Send it"
    SENT = "sent"
    DROPPED = "dropped"


class Relay(Base):
    """A message one member of an introduction asked the bot to pass to another, across platforms.

    Only a draft keeps its text (until it is sent or dropped); a sent one lives on in the outbox row alone.
    """

    __tablename__ = "relays"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("intro_groups.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Holdout(Base):
    """An event's holdout: ``percent`` of its members, drawn at random from ``seed``, get no introductions.

    Set only before the event's first round; the draw itself lives in ``holdout_draws`` and never changes.
    """

    __tablename__ = "holdouts"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    percent: Mapped[int]
    seed: Mapped[int]
    created_at: Mapped[datetime]


class HoldoutDraw(Base):
    """One member's draw in an event with a holdout, and their answer to "did you meet anyone new?"."""

    __tablename__ = "holdout_draws"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True)
    held_out: Mapped[bool]
    drawn_at: Mapped[datetime]
    met_someone_new: Mapped[str | None] = mapped_column(String(8))  # yes / no, asked after "I was there"


class AppSecret(Base):
    """A secret the process made for itself because none was configured (the dashboard's signing key), kept
    here so every replica and every restart uses the same one."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class DashboardPass(Base):
    """A one-time pass of the dashboard: a sign-in link (then the session it opened) or a confirmation form.

    Only a hash of the pass's nonce is stored. Using it is one conditional UPDATE, so a pass works once even
    with several replicas; ``ended_at`` is a sign-out.
    """

    __tablename__ = "dashboard_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # signin / confirm
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


# Meetings at the event (issue 17). Every rule that must hold under concurrency is a key, not a check in Python:
# a place's capacity is its numbered seats, a member's time is five-minute blocks, a group has one live meeting.


class MeetingPlace(Base):
    """Where matched members can meet (a table, the bar); ``capacity`` is how many meetings it holds at once."""

    __tablename__ = "meeting_places"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    capacity: Mapped[int]
    position: Mapped[int]


class MeetingPlaceSeat(Base):
    """Seat ``seat`` (1..capacity) of a place. A booking holds one seat, so it cannot exceed the capacity."""

    __tablename__ = "meeting_place_seats"

    place_id: Mapped[int] = mapped_column(ForeignKey("meeting_places.id", ondelete="CASCADE"), primary_key=True)
    seat: Mapped[int] = mapped_column(primary_key=True)


class MeetingSlot(Base):
    """A time members can book, in UTC; slots of one event never overlap (they come from one grid)."""

    __tablename__ = "meeting_slots"
    __table_args__ = (UniqueConstraint("event_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class MeetingState(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class Meeting(Base):
    """A booking, kept after it is cancelled (for the numbers); while it is booked it holds a seat and its
    members' time. Time and place are copied, so the record outlives an edited grid."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("intro_groups.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_slots.id", ondelete="SET NULL"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_places.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place_name: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(16))
    booked_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(200))


class MeetingSeat(Base):
    """A live meeting's seat: the primary key (slot, place, seat) lets two bookings never share a seat, the
    foreign key to the place's seats never lets a seat beyond the capacity exist, and ``group_id`` is unique,
    so a group has one live meeting. Deleted when the meeting is cancelled: the seat is free again."""

    __tablename__ = "meeting_seats"
    __table_args__ = (
        ForeignKeyConstraint(["place_id", "seat"], ["meeting_place_seats.place_id", "meeting_place_seats.seat"]),
    )

    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(primary_key=True)
    seat: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("intro_groups.id", ondelete="CASCADE"), unique=True)


class MeetingBusy(Base):
    """Five minutes of a member's time held by a live meeting (``minute``: minutes since the epoch, a
    multiple of 5). The primary key keeps a member out of two meetings at once, across events too."""

    __tablename__ = "meeting_busy"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)


class ProposalState(StrEnum):
    DRAFT = "draft"  # the proposer is still choosing times
    SENT = "sent"  # waiting for the others to accept one
    BOOKED = "booked"
    CLOSED = "closed"  # superseded by another proposal, or its group can no longer meet


class MeetingProposal(Base):
    """Times one member of a group proposes; nothing is booked until everyone else accepts one of them."""

    __tablename__ = "meeting_proposals"
    __table_args__ = (CheckConstraint("state IN ('draft', 'sent', 'booked', 'closed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("intro_groups.id", ondelete="CASCADE"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    slot_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeetingAcceptance(Base):
    """A member said yes to one of a proposal's times."""

    __tablename__ = "meeting_acceptances"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("meeting_proposals.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="CASCADE"), primary_key=True)


class MeetingGridChange(Base):
    """An organiser's change of slots and places that would cancel bookings, waiting for their confirmation.
    ``cancels`` lists the meetings shown to them: a confirmation that would now cancel others asks again."""

    __tablename__ = "meeting_grid_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    spec: Mapped[dict[str, Any]]
    cancels: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]


class InboxStatus(StrEnum):
    QUEUED = "queued"
    HANDLING = "handling"  # claimed by a worker under a lease; back to the queue if the lease runs out
    DONE = "done"


class InboxUpdate(Base):
    """An update or event a platform delivered, recorded before it is acknowledged.

    ``(platform, external_id)`` is unique, so a platform's retry, or the same update taken by another replica,
    is dropped by the key. Rows of one ``chat`` are handled in ``id`` order.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_inbox_platform_external_id"),
        Index("ix_inbox_pending", "status", "platform"),
        Index("ix_inbox_chat", "platform", "chat", "id"),
        Index("ix_inbox_handled", "status", "handled_at"),  # retention: the oldest handled rows first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    chat: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class RateSlot(Base):
    """A shared send budget (GCRA, a token bucket kept as one time): ``next_at`` is when the next send under
    ``key`` (a platform account, or one of its chats) may go. Every replica reserves its sends here."""

    __tablename__ = "rate_slots"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_at: Mapped[datetime]


class Confirmation(Base):
    """A consequential organiser action waiting for its "Yes": what was asked (``kind``, ``payload``: exactly
    what the question showed). Answered once (``answered_at``); a newer question of the same kind by the same
    member makes it out of date (``answered_at`` set, ``outcome`` "replaced")."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(12))
