"""Replacing an event's slots and places with what the organiser asked for, keeping what did not change.

A slot with the same start and end, and a place with the same name, keep their bookings. Bookings in a slot
or at a place that goes away, or in a seat beyond a place's new capacity, are the change's cost: the
organiser sees them first (``plan``), and ``apply`` cancels them, telling their members, before the grid
changes (a booked seat cannot be removed from under a meeting: its foreign key refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.meetings import booking
from bot.meetings.grid import GridSpec, PlaceSpec, SlotTime, slot_times
from storage import meetings as queries
from storage import proposals
from storage.models import Event, Meeting, MeetingPlace, MeetingSlot, ProposalState
from storage.session import AsyncSession

WHY = "the organisers changed the meeting times and places."


@dataclass(frozen=True, slots=True)
class Change:
    drop_slots: list[int]
    new_slots: list[SlotTime]
    drop_places: list[int]
    places: list[tuple[MeetingPlace | None, PlaceSpec]]  # in the new order; None: a new place
    cancels: list[Meeting]
    slot_count: int


async def plan(session: AsyncSession, event: Event, spec: GridSpec) -> Change:
    times = slot_times(spec, event.starts_at, event.time_zone)
    wanted = {(t.starts_at, t.ends_at) for t in times}
    existing = await queries.slots_of(session, event.id)
    have = {(s.starts_at, s.ends_at) for s in existing}
    drop_slots = [s.id for s in existing if (s.starts_at, s.ends_at) not in wanted]
    new_slots = [t for t in times if (t.starts_at, t.ends_at) not in have]
    by_name = {p.name.casefold(): p for p in await queries.places_of(session, event.id)}
    names = {p.name.casefold() for p in spec.places}
    drop_places = [p.id for key, p in by_name.items() if key not in names]
    places = [(by_name.get(p.name.casefold()), p) for p in spec.places]
    capacity = {old.id: new.capacity for old, new in places if old is not None}
    cancels = [
        meeting
        for meeting, seat in await queries.seated(session, event.id)
        if meeting.slot_id in drop_slots
        or meeting.place_id in drop_places
        or (meeting.place_id in capacity and seat > capacity[meeting.place_id])
    ]
    cancels.sort(key=lambda m: (m.starts_at, m.place_name))
    return Change(drop_slots, new_slots, drop_places, places, cancels, len(times))


async def apply(session: AsyncSession, event: Event, change: Change, now: datetime) -> int:
    """Make the change; returns how many messages were queued (to the members of cancelled meetings)."""
    queued = 0
    for meeting in change.cancels:
        tell = await queries.group_members(session, meeting.group_id)
        # Its slot or place is gone (or the seat, with a lowered capacity): nothing is "free again".
        queued += await booking.cancel(session, meeting, event, now, WHY, tell, freed=False)
    if change.drop_slots:
        await queries.drop_slots(session, change.drop_slots)
    if change.drop_places:
        await queries.drop_places(session, change.drop_places)
    for position, (place, spec) in enumerate(change.places):
        if place is None:
            place = MeetingPlace(event_id=event.id, name=spec.name, capacity=spec.capacity, position=position)
            session.add(place)
            await session.flush()
        place.name, place.position = spec.name, position
        await queries.set_capacity(session, place, spec.capacity)
    for times in change.new_slots:
        session.add(MeetingSlot(event_id=event.id, starts_at=times.starts_at, ends_at=times.ends_at))
    await session.flush()
    await _trim_proposals(session, event, now)
    return queued


async def _trim_proposals(session: AsyncSession, event: Event, now: datetime) -> None:
    """Open proposals keep only times that still exist; one left with none is closed."""
    remaining = {s.id for s in await queries.slots_of(session, event.id)}
    for proposal in await proposals.open_of_event(session, event.id):
        kept = [slot_id for slot_id in proposal.slot_ids if slot_id in remaining]
        if kept != proposal.slot_ids:
            proposal.slot_ids, proposal.updated_at = kept, now
            if not kept and proposal.state == ProposalState.SENT:
                proposal.state = ProposalState.CLOSED
