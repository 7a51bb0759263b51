"""Moving the event's date takes its meeting slots and booked meetings with it.

Every slot shifts by the same offset as the event's start (so the grid keeps its local times), and each
booked meeting is rebooked at the same place and seat in its shifted slot, as a reschedule: its members get
a "Moved" confirmation with the new time, the calendar file updates the same entry, and the reminder and
"did you meet?" follow the new time. A meeting that can no longer be rebooked (a member has another
meeting at the new time, at another event) is cancelled and its members told.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.meetings import booking
from storage import events as event_queries
from storage import meetings as queries
from storage.models import Event, Meeting, MeetingPlace, MeetingSlot
from storage.session import AsyncSession

CLASH = "the event moved, and one of you has another meeting at the new time."


@dataclass(frozen=True, slots=True)
class _Booked:
    meeting: Meeting
    slot_id: int
    place_id: int
    seat: int


async def follow_event_move(
    session: AsyncSession, event: Event, now: datetime, group_dm_platforms: Collection[str] = ()
) -> int:
    """After ``event.starts_at`` was just set (and before anything flushed it): shift the event's slots and
    meetings from the old start to the new one. Returns how many messages were queued."""
    old_start = event_queries.start_before_change(event)
    if old_start is None:
        return 0
    return await shift(session, event, old_start, event.starts_at, now, group_dm_platforms)


async def shift(
    session: AsyncSession,
    event: Event,
    old_start: datetime,
    new_start: datetime,
    now: datetime,
    group_dm_platforms: Collection[str] = (),
) -> int:
    """Shift the event's slots and booked meetings by ``new_start - old_start``; tell their members."""
    offset = new_start - old_start
    if not offset:
        return 0
    booked = await _booked(session, event.id, now)
    for item in booked:
        await booking.cancel_quietly(session, item.meeting, now, queries.MOVED_NOTE)
    # One slot at a time, the one moving into free time first: two slots never share a start, even mid-way.
    slots = sorted(await queries.slots_of(session, event.id), key=lambda s: s.starts_at, reverse=offset.days >= 0)
    for slot in slots:
        slot.starts_at, slot.ends_at = slot.starts_at + offset, slot.ends_at + offset
        await session.flush()
    queued = 0
    for item in booked:
        queued += await _rebook(session, event, item, now, group_dm_platforms)
    return queued


async def _booked(session: AsyncSession, event_id: int, now: datetime) -> list[_Booked]:
    """The event's meetings still ahead (one that started or happened stays as it was)."""
    return [_Booked(*row) for row in await queries.seated_ahead(session, event_id, now)]


async def _rebook(
    session: AsyncSession, event: Event, item: _Booked, now: datetime, group_dm_platforms: Collection[str]
) -> int:
    old = item.meeting
    group = await booking.load_group(session, old.group_id, lock=False)
    slot = await session.get(MeetingSlot, item.slot_id)
    place = await session.get(MeetingPlace, item.place_id)
    members: Sequence[int] = group.member_ids if group is not None else ()
    meeting = None
    if group is not None and slot is not None and place is not None and slot.starts_at > now:
        meeting = await queries.book(
            session, queries.Booking(event.id, group.row.id, slot, place, item.seat, tuple(members)), now
        )
    if meeting is None or group is None:
        old.note = CLASH  # not a move any more: a meeting booked later starts a new calendar entry
        tell = await queries.group_members(session, old.group_id)
        return await booking.notify_cancelled(session, old, event, now, CLASH, tell, freed=False)
    return await booking.announce(session, group, meeting, now, group_dm_platforms, moved=True)
