"""Queries for meetings at the event: the grid of slots and places, and booking seats under unique keys.

A booking is three kinds of rows written in one savepoint: the meeting, its seat (primary key slot, place,
seat; a foreign key to the place's numbered seats) and its members' five-minute blocks (primary key member,
minute). Two bookings that want the same seat or the same member's time cannot both commit, whatever
process or replica they run in: the database refuses the second, and :func:`book` returns None for it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Block,
    Intro,
    IntroGroup,
    Meeting,
    MeetingBusy,
    MeetingPlace,
    MeetingPlaceSeat,
    MeetingSeat,
    MeetingSlot,
    MeetingState,
    Member,
    Round,
)

BLOCK_MINUTES = 5  # a member's time is held in blocks of this many minutes; slots start and end on them
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def blocks(starts_at: datetime, ends_at: datetime) -> list[int]:
    """The five-minute blocks (minutes since the epoch) from ``starts_at`` up to ``ends_at``."""
    first = int((starts_at - EPOCH) // timedelta(minutes=1))
    last = int((ends_at - EPOCH) // timedelta(minutes=1))
    return list(range(first - first % BLOCK_MINUTES, last, BLOCK_MINUTES))


async def slots_of(session: AsyncSession, event_id: int) -> Sequence[MeetingSlot]:
    query = select(MeetingSlot).where(MeetingSlot.event_id == event_id).order_by(MeetingSlot.starts_at)
    return (await session.scalars(query)).all()


async def places_of(session: AsyncSession, event_id: int) -> Sequence[MeetingPlace]:
    query = select(MeetingPlace).where(MeetingPlace.event_id == event_id).order_by(MeetingPlace.position)
    return (await session.scalars(query)).all()


async def drop_slots(session: AsyncSession, slot_ids: Collection[int]) -> None:
    await session.execute(delete(MeetingSlot).where(MeetingSlot.id.in_(list(slot_ids))))


async def drop_places(session: AsyncSession, place_ids: Collection[int]) -> None:
    await session.execute(delete(MeetingPlace).where(MeetingPlace.id.in_(list(place_ids))))


async def has_slots(session: AsyncSession, event_id: int) -> bool:
    """Whether members of the event can book: it has at least one slot and one place (one query)."""
    slots = select(MeetingSlot.id).where(MeetingSlot.event_id == event_id).exists()
    places = select(MeetingPlace.id).where(MeetingPlace.event_id == event_id).exists()
    return bool(await session.scalar(select(slots & places)))


async def taken(session: AsyncSession, event_id: int) -> dict[tuple[int, int], int]:
    """How many seats are booked at each (slot, place) of the event."""
    rows = await session.execute(
        select(MeetingSeat.slot_id, MeetingSeat.place_id, func.count())
        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
        .where(MeetingSlot.event_id == event_id)
        .group_by(MeetingSeat.slot_id, MeetingSeat.place_id)
    )
    return {(slot_id, place_id): int(count) for slot_id, place_id, count in rows.all()}


async def used_seats(session: AsyncSession, slot_id: int) -> dict[int, set[int]]:
    """The booked seats of each place in a slot, in one query."""
    used: dict[int, set[int]] = {}
    rows = await session.execute(select(MeetingSeat.place_id, MeetingSeat.seat).where(MeetingSeat.slot_id == slot_id))
    for place_id, seat in rows.all():
        used.setdefault(place_id, set()).add(seat)
    return used


async def busy_members(session: AsyncSession, member_ids: Collection[int], minutes: Collection[int]) -> set[int]:
    """Which of these members already have a meeting during any of these blocks."""
    if not member_ids or not minutes:
        return set()
    query = select(MeetingBusy.member_id).where(
        MeetingBusy.member_id.in_(list(member_ids)), MeetingBusy.minute.in_(list(minutes))
    )
    return set((await session.scalars(query)).all())


async def busy_blocks(session: AsyncSession, member_ids: Collection[int]) -> set[int]:
    """Every block in which any of these members has a meeting."""
    if not member_ids:
        return set()
    query = select(MeetingBusy.minute).where(MeetingBusy.member_id.in_(list(member_ids)))
    return set((await session.scalars(query)).all())


@dataclass(frozen=True, slots=True)
class Booking:
    event_id: int
    group_id: int
    slot: MeetingSlot
    place: MeetingPlace
    seat: int
    member_ids: tuple[int, ...]


async def book(session: AsyncSession, booking: Booking, now: datetime) -> Meeting | None:
    """Book the seat and the members' time, or nothing: None when a unique key refused it (the seat was
    taken, a member is busy then, or the group already has a meeting)."""
    minutes = blocks(booking.slot.starts_at, booking.slot.ends_at)
    try:
        async with session.begin_nested():
            meeting = Meeting(
                event_id=booking.event_id,
                group_id=booking.group_id,
                slot_id=booking.slot.id,
                place_id=booking.place.id,
                starts_at=booking.slot.starts_at,
                ends_at=booking.slot.ends_at,
                place_name=booking.place.name,
                state=MeetingState.BOOKED,
                booked_at=now,
            )
            session.add(meeting)
            await session.flush()
            # The contended key first, then members' blocks in one sorted statement: every booking takes its
            # locks in the same order, which keeps PostgreSQL from deadlocking two of them.
            await session.execute(
                insert(MeetingSeat).values(
                    slot_id=booking.slot.id,
                    place_id=booking.place.id,
                    seat=booking.seat,
                    meeting_id=meeting.id,
                    group_id=booking.group_id,
                )
            )
            rows = [
                {"member_id": member_id, "minute": minute, "meeting_id": meeting.id}
                for member_id in sorted(booking.member_ids)
                for minute in minutes
            ]
            await session.execute(insert(MeetingBusy), rows)
    except IntegrityError:
        return None
    return meeting


async def release(session: AsyncSession, meeting: Meeting, now: datetime, note: str) -> None:
    """Cancel a booked meeting: its seat and its members' time are free again at once."""
    await session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id))
    await session.execute(delete(MeetingBusy).where(MeetingBusy.meeting_id == meeting.id))
    meeting.state, meeting.cancelled_at, meeting.note = MeetingState.CANCELLED, now, note[:200]


async def live_meeting(session: AsyncSession, group_id: int) -> Meeting | None:
    query = select(Meeting).where(Meeting.group_id == group_id, Meeting.state == MeetingState.BOOKED)
    return await session.scalar(query)


async def booked_and_held(session: AsyncSession, event_id: int, now: datetime) -> tuple[int, int]:
    """(meetings booked, meetings held): booked ones not cancelled; held, those over whose members said they met."""
    live = (Meeting.event_id == event_id) & (Meeting.state == MeetingState.BOOKED)
    booked = int(await session.scalar(select(func.count()).select_from(Meeting).where(live)) or 0)
    met = select(Intro.group_id).where(Intro.met == "yes")
    held_query = (
        select(func.count()).select_from(Meeting).where(live, Meeting.ends_at <= now, Meeting.group_id.in_(met))
    )
    return booked, int(await session.scalar(held_query) or 0)


async def live_meetings_of_event(session: AsyncSession, event_id: int) -> Sequence[Meeting]:
    query = (
        select(Meeting)
        .where(Meeting.event_id == event_id, Meeting.state == MeetingState.BOOKED)
        .order_by(Meeting.starts_at, Meeting.place_name)
    )
    return (await session.scalars(query)).all()


async def seated(session: AsyncSession, event_id: int) -> list[tuple[Meeting, int]]:
    """The event's meetings that hold a seat (booked ones), each with its seat number."""
    query = (
        select(Meeting, MeetingSeat.seat)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .where(Meeting.event_id == event_id)
    )
    return [(meeting, seat) for meeting, seat in (await session.execute(query)).all()]


async def seated_ahead(session: AsyncSession, event_id: int, now: datetime) -> list[tuple[Meeting, int, int, int]]:
    """The event's booked meetings still ahead, each with its seat (slot id, place id, seat), earliest first."""
    query = (
        select(Meeting, MeetingSeat.slot_id, MeetingSeat.place_id, MeetingSeat.seat)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .where(Meeting.event_id == event_id, Meeting.starts_at > now)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        (meeting, slot_id, place_id, seat) for meeting, slot_id, place_id, seat in (await session.execute(query)).all()
    ]


async def live_meetings_of_member(session: AsyncSession, member_id: int, event_id: int | None) -> Sequence[Meeting]:
    query = (
        select(Meeting)
        .join(Intro, Intro.group_id == Meeting.group_id)
        .where(Intro.member_id == member_id, Meeting.state == MeetingState.BOOKED)
        .order_by(Meeting.starts_at)
    )
    if event_id is not None:
        query = query.where(Meeting.event_id == event_id)
    return (await session.scalars(query)).all()


async def meetings_of_member(session: AsyncSession, member_id: int) -> Sequence[Meeting]:
    """Every meeting (booked or cancelled) of the member's introductions, for their data export."""
    query = select(Meeting).join(Intro, Intro.group_id == Meeting.group_id).where(Intro.member_id == member_id)
    return (await session.scalars(query.order_by(Meeting.starts_at))).all()


async def group_members(session: AsyncSession, group_id: int) -> list[Member]:
    query = (
        select(Member).join(Intro, Intro.member_id == Member.id).where(Intro.group_id == group_id).order_by(Member.id)
    )
    return list((await session.scalars(query)).all())


async def members_by_group(session: AsyncSession, group_ids: Collection[int]) -> dict[int, list[Member]]:
    found: dict[int, list[Member]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return found
    rows = await session.execute(
        select(Intro.group_id, Member)
        .join(Member, Member.id == Intro.member_id)
        .where(Intro.group_id.in_(list(group_ids)))
        .order_by(Member.id)
    )
    for group_id, member in rows.all():
        if group_id is not None:
            found[group_id].append(member)
    return found


async def set_capacity(session: AsyncSession, place: MeetingPlace, capacity: int) -> None:
    """Give the place exactly the seats 1..capacity (a seat still booked cannot be removed: cancel first)."""
    seats = set(
        (await session.scalars(select(MeetingPlaceSeat.seat).where(MeetingPlaceSeat.place_id == place.id))).all()
    )
    missing = [{"place_id": place.id, "seat": seat} for seat in range(1, capacity + 1) if seat not in seats]
    if missing:
        await session.execute(insert(MeetingPlaceSeat), missing)
    await session.execute(
        delete(MeetingPlaceSeat).where(MeetingPlaceSeat.place_id == place.id, MeetingPlaceSeat.seat > capacity)
    )
    place.capacity = capacity


async def group_event_id(session: AsyncSession, group: IntroGroup) -> int | None:
    return await session.scalar(select(Round.event_id).where(Round.id == group.round_id))


async def blocked_among(session: AsyncSession, member_ids: Collection[int]) -> bool:
    """Whether any of these members asked never to be matched with another of them."""
    ids = list(member_ids)
    if len(ids) < 2:
        return False
    query = select(Block.member_id).where(Block.member_id.in_(ids), Block.blocked_id.in_(ids)).limit(1)
    return await session.scalar(query) is not None


MOVED_NOTE = "moved to another time"  # a meeting cancelled because its group booked another time instead


async def calendar_lineage(session: AsyncSession, meeting: Meeting) -> tuple[int, int]:
    """The meeting's calendar entry: (the id of the first meeting of its line of reschedules, how many
    reschedules led to this one). A meeting booked after a real cancellation starts a new line."""
    query = (
        select(Meeting.id, Meeting.note)
        .where(Meeting.group_id == meeting.group_id, Meeting.id <= meeting.id)
        .order_by(Meeting.id)
    )
    rows = (await session.execute(query)).all()
    root, sequence = meeting.id, 0
    previous_note: str | None = None
    for index, (meeting_id, note) in enumerate(rows):
        if index and previous_note == MOVED_NOTE:
            sequence += 1
        else:
            root, sequence = meeting_id, 0
        previous_note = note
    return root, sequence
