"""Booking a time and a place for a matched group: free times, the booking itself, cancelling, freeing.

Nothing here checks in Python that a seat or a member is free and then writes: :func:`storage.meetings.book`
writes under unique keys, and a refusal (another booking won the race) is read back to tell the member why.
What the whole group sees (confirmations, calendar files, the reminder ten minutes before and "did you meet?"
afterwards) is queued in the outbox in the same transaction as the booking.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.intros import texts as intro_texts
from bot.meetings import calendar, timing
from bot.meetings import texts as meeting_texts
from storage import events as event_queries
from storage import intros as intro_queries
from storage import meetings as queries
from storage import outbox, proposals
from storage.models import Event, IntroGroup, Meeting, MeetingPlace, MeetingSlot, Member, MemberStatus
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession

REMINDER_BEFORE = timedelta(minutes=10)
OPEN = proposals.OPEN


@dataclass(frozen=True, slots=True)
class Group:
    """A matched group, as meetings see it: the members who can still come (not left, not RSVP'd no)."""

    row: IntroGroup
    event: Event
    members: list[Member]

    def others(self, member_id: int) -> list[Member]:
        return [m for m in self.members if m.id != member_id]

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.members)


async def load_group(session: AsyncSession, group_id: int, *, lock: bool) -> Group | None:
    """The group (locked on PostgreSQL, so answers within one group are taken one at a time) and its members
    who can still meet; None when it is not an introduced group, or one of its members blocked another."""
    group = await intro_queries.locked_group(session, group_id) if lock else await session.get(IntroGroup, group_id)
    if group is None or group.state != "introduced":
        return None
    event_id = await queries.group_event_id(session, group)
    event = await session.get(Event, event_id) if event_id is not None else None
    if event is None:
        return None
    members = await queries.group_members(session, group.id)
    if await queries.blocked_among(session, [m.id for m in members]):
        return None  # one asked never to be matched with another: no meeting between them any more
    coming = await _can_come(session, event.id, members)
    return Group(group, event, coming)


async def _can_come(session: AsyncSession, event_id: int, members: Sequence[Member]) -> list[Member]:
    away = await event_queries.away(session, event_id, [m.id for m in members])
    return [m for m in members if m.id not in away and m.status != MemberStatus.LEFT]


async def free_slots(
    session: AsyncSession, event: Event, member_ids: Collection[int], now: datetime, *, ignore: Meeting | None = None
) -> list[MeetingSlot]:
    """Slots still ahead with a free seat somewhere, in which none of these members has another meeting."""
    places = await queries.places_of(session, event.id)
    seats = sum(place.capacity for place in places)
    taken = await queries.taken(session, event.id)
    busy = await queries.busy_blocks(session, member_ids)
    if ignore is not None:
        busy -= set(queries.blocks(ignore.starts_at, ignore.ends_at))
    free = []
    for slot in await queries.slots_of(session, event.id):
        booked = sum(count for (slot_id, _), count in taken.items() if slot_id == slot.id)
        if slot.starts_at > now and booked < seats and not busy & set(queries.blocks(slot.starts_at, slot.ends_at)):
            free.append(slot)
    return free


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a booking attempt came to: a meeting, or why not (``busy``: members with another meeting then)."""

    meeting: Meeting | None
    busy: frozenset[int] = frozenset()
    full: bool = False


async def book(session: AsyncSession, group: Group, slot: MeetingSlot, now: datetime) -> Outcome:
    """Book the first free seat of the slot, place by place. A seat another booking took a moment ago is
    refused by its key, and the next free seat is tried (after reading the seats again); a member who became
    busy, or a group that got its meeting meanwhile, ends the attempt."""
    places = await queries.places_of(session, group.event.id)
    used = await queries.used_seats(session, slot.id)
    tried: set[tuple[int, int]] = set()
    while True:
        choice = _first_free(places, used, tried)
        if choice is None:
            return Outcome(None, full=True)
        place, seat = choice
        tried.add((place.id, seat))
        booking = queries.Booking(group.event.id, group.row.id, slot, place, seat, group.member_ids)
        meeting = await queries.book(session, booking, now)
        if meeting is not None:
            return Outcome(meeting)
        minutes = queries.blocks(slot.starts_at, slot.ends_at)
        busy = await queries.busy_members(session, group.member_ids, minutes)
        if busy or await queries.live_meeting(session, group.row.id) is not None:
            return Outcome(None, frozenset(busy))
        used = await queries.used_seats(session, slot.id)


def _first_free(
    places: Sequence[MeetingPlace], used: dict[int, set[int]], tried: set[tuple[int, int]]
) -> tuple[MeetingPlace, int] | None:
    for place in places:
        taken = used.get(place.id, set())
        for seat in range(1, place.capacity + 1):
            if seat not in taken and (place.id, seat) not in tried:
                return place, seat
    return None


class _Undo(Exception):
    """Raised inside a savepoint to roll a reschedule back when its new booking failed."""


async def book_or_move(
    session: AsyncSession,
    group: Group,
    slot: MeetingSlot,
    now: datetime,
    replaces: Meeting | None,
    group_dm_platforms: Collection[str],
) -> tuple[Outcome, int]:
    """Book (moving the group's meeting if ``replaces``), atomically: a failed move keeps the old meeting.
    Returns the outcome and how many messages were queued."""
    outcome = Outcome(None)
    try:
        async with session.begin_nested():
            if replaces is not None:
                await cancel_quietly(session, replaces, now, queries.MOVED_NOTE)
            outcome = await book(session, group, slot, now)
            if outcome.meeting is None:
                raise _Undo
    except _Undo:
        return outcome, 0
    assert outcome.meeting is not None
    await proposals.close_open(session, group.row.id, now)
    queued = await announce(session, group, outcome.meeting, now, group_dm_platforms, moved=replaces is not None)
    return outcome, queued


async def announce(
    session: AsyncSession,
    group: Group,
    meeting: Meeting,
    now: datetime,
    group_dm_platforms: Collection[str],
    *,
    moved: bool,
) -> int:
    """Confirmation and calendar file (one group DM where the platform has them, else one each), then for
    each member the reminder ten minutes before and "did you meet?" at the end."""
    event, members = group.event, group.members
    messages: list[NewMessage] = []
    platforms = {m.platform for m in members}
    together = len(platforms) == 1 and next(iter(platforms)) in group_dm_platforms
    group_due = timing.for_group(members, event, now, meeting.starts_at) if together else None
    together = group_due is not None  # no moment when all are awake: one message each, at each one's morning
    recipients: list[Member | None] = [None] if together else list(members)
    line = await queries.calendar_lineage(session, meeting)
    for recipient in recipients:
        entry = _entry(meeting, event, recipient, members, line)
        confirm = meeting_texts.confirmation(
            meeting,
            event,
            recipient,
            members if recipient is None else group.others(recipient.id),
            calendar.google_link(entry),
            moved=moved,
        )
        file = meeting_texts.calendar_file(meeting, event, recipient, calendar.attachment(entry, now))
        if recipient is None:
            users = ",".join(sorted(m.platform_user_id for m in members))
            for suffix, message in (("ok", confirm), ("ics", file)):
                key = f"meeting:{meeting.id}:{suffix}:group"
                messages.append(
                    NewMessage(key, members[0].platform, users, message.to_dict(), None, event.id, "group", group_due)
                )
        else:
            due = timing.for_member(recipient, event, now, meeting.starts_at)
            messages.append(_to(recipient, f"meeting:{meeting.id}:ok:{recipient.id}", confirm.to_dict(), event, due))
            messages.append(_to(recipient, f"meeting:{meeting.id}:ics:{recipient.id}", file.to_dict(), event, due))
    intros = await intro_queries.of_group(session, group.row.id)
    for member in members:
        others = group.others(member.id)
        if meeting.starts_at - REMINDER_BEFORE > now:
            reminder = meeting_texts.reminder(meeting, event, member, others).to_dict()
            key = f"meeting:{meeting.id}:remind:{member.id}"
            messages.append(_to(member, key, reminder, event, meeting.starts_at - REMINDER_BEFORE))
        intro = intros.get(member.id)
        if intro is not None and intro.followup_sent_at is None:
            intro.followup_sent_at = meeting.ends_at  # the day-after follow-up does not ask twice
            payload = intro_texts.followup(event, others, intro.id).to_dict()
            asked_at = timing.for_member(member, event, meeting.ends_at, None)  # at their morning if need be
            messages.append(_to(member, f"followup:{intro.id}", payload, event, asked_at))
    return await enqueue(session, messages, now)


def _entry(
    meeting: Meeting,
    event: Event,
    recipient: Member | None,
    members: Sequence[Member],
    line: tuple[int, int],
    *,
    cancelled: bool = False,
) -> calendar.Entry:
    """The calendar entry; ``line``: its UID's meeting and sequence (see :func:`queries.calendar_lineage`)."""
    others = [m for m in members if recipient is None or m.id != recipient.id]
    who = ", ".join(m.display_name for m in others)
    root, sequence = line
    return calendar.Entry(
        root,
        f"Meet {who} at {meeting.place_name}"[:200],
        event.name,
        meeting.place_name,
        meeting.starts_at,
        meeting.ends_at,
        meeting_texts.zone_of(recipient, event),
        sequence + 1 if cancelled else sequence,
        cancelled,
    )


def _to(member: Member, key: str, payload: dict[str, object], event: Event, when: datetime | None = None) -> NewMessage:
    return NewMessage(
        key, member.platform, member.platform_user_id, dict(payload), member.id, event.id, not_before=when
    )


async def cancel_quietly(session: AsyncSession, meeting: Meeting, now: datetime, why: str) -> None:
    """Release the seat and the time, and take back what was queued for it and not yet sent."""
    await queries.release(session, meeting, now, why)
    await outbox.withdraw_queued_starting(session, f"meeting:{meeting.id}:")
    for intro in (await intro_queries.of_group(session, meeting.group_id)).values():
        if intro.followup_sent_at == meeting.ends_at and intro.followup_sent_at > now:
            intro.followup_sent_at = None  # its "did you meet?" had not gone yet: the day-after one asks instead
            await outbox.withdraw_queued(session, [f"followup:{intro.id}"])


async def cancel(
    session: AsyncSession,
    meeting: Meeting,
    event: Event,
    now: datetime,
    why: str,
    tell: Sequence[Member],
    *,
    rebook: bool = True,
    also_file: Sequence[Member] = (),
    freed: bool = True,
) -> int:
    """Cancel a meeting and tell ``tell`` why (offering to pick another time if ``rebook``); they, and
    ``also_file`` (the one who cancelled it), get the calendar file that removes the entry. ``freed``: the
    notice may say the slot is free again. Returns how many messages were queued."""
    await cancel_quietly(session, meeting, now, why)
    return await notify_cancelled(
        session, meeting, event, now, why, tell, rebook=rebook, also_file=also_file, freed=freed
    )


async def notify_cancelled(
    session: AsyncSession,
    meeting: Meeting,
    event: Event,
    now: datetime,
    why: str,
    tell: Sequence[Member],
    *,
    rebook: bool = True,
    also_file: Sequence[Member] = (),
    freed: bool = True,
) -> int:
    """What :func:`cancel` tells, for a meeting already released."""
    offer = meeting.group_id if rebook else None
    members = await queries.group_members(session, meeting.group_id)
    line = await queries.calendar_lineage(session, meeting)
    messages = []
    for m in [*tell, *also_file]:
        due = timing.for_member(m, event, now, meeting.starts_at) if m in tell else now
        entry = _entry(meeting, event, m, members, line, cancelled=True)
        file = meeting_texts.calendar_cancel(meeting, event, m, calendar.attachment(entry, now)).to_dict()
        messages.append(_to(m, f"meeting:{meeting.id}:icsoff:{m.id}", file, event, due))
        if m in tell:  # the notice last: it is what the member reads first
            notice = meeting_texts.cancelled(meeting, event, m, why, offer, freed=freed).to_dict()
            messages.append(_to(m, f"meeting:{meeting.id}:off:{m.id}", notice, event, due))
    return await enqueue(session, messages, now)


async def free_member(
    session: AsyncSession, member: Member, event_id: int | None, now: datetime, *, named: bool
) -> int:
    """The member can no longer come (left, erased, RSVP'd no): each of their meetings (in the event, or
    everywhere) is cancelled and the others are told. ``named``: whether the notice may name them (not for
    someone who asked to be forgotten). Returns how many messages were queued."""
    queued = 0
    for meeting in await queries.live_meetings_of_member(session, member.id, event_id):
        if event_id is not None and meeting.ends_at <= now:
            continue  # a meeting that happened stays in the record (leaving or an RSVP "no" afterwards)
        event = await session.get(Event, meeting.event_id)
        assert event is not None
        others = [m for m in await queries.group_members(session, meeting.group_id) if m.id != member.id]
        why = f"{member.display_name} can't make it." if named else "one of you can no longer come."
        queued += await cancel(session, meeting, event, now, why, others, rebook=len(others) >= 2)
    await proposals.close_open_of_member(session, member.id, event_id, now)
    return queued
