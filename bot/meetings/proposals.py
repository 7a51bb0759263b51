"""Proposing times: a member picks free times, the others accept one; when everyone has, the booking is made.

A proposal's answers are taken one at a time per group (its intro group row is locked on PostgreSQL), so the
last "yes" of a trio always sees the other two. The booking itself races only against other groups, and that
race is settled by the database's keys (see :mod:`bot.meetings.booking`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.errors import UserError
from bot.meetings import booking, timing
from bot.meetings import texts as meeting_texts
from bot.views import is_over
from storage import meetings as queries
from storage import proposals as proposal_queries
from storage.models import Meeting, MeetingAcceptance, MeetingProposal, MeetingSlot, MeetingState, Member, ProposalState
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession

CLOSED = "That proposal is no longer open."


async def open_draft(
    session: AsyncSession, group: booking.Group, member: Member, now: datetime, replaces: Meeting | None
) -> tuple[MeetingProposal, list[MeetingSlot]]:
    """The member's draft for this group (reused, emptied) and the times free for everyone in it."""
    if not group.others(member.id):
        raise UserError("Nobody else in this introduction can still come, so there is no one to book a time with.")
    if not await queries.has_slots(session, group.event.id):
        raise UserError(f"The organisers of {group.event.name} haven't set up meeting times yet.")
    if is_over(group.event, now) or all(s.ends_at <= now for s in await queries.slots_of(session, group.event.id)):
        raise UserError(f"{group.event.name} is over, so there's no time left to book. Hope you met!")
    free = await booking.free_slots(session, group.event, group.member_ids, now, ignore=replaces)
    if not free:
        raise UserError(f"There's no free time left to meet at {group.event.name}, sorry.")
    draft = await proposal_queries.draft_of(session, group.row.id, member.id)
    if draft is None:
        draft = MeetingProposal(group_id=group.row.id, proposer_id=member.id, state=ProposalState.DRAFT, created_at=now)
        session.add(draft)
    draft.slot_ids, draft.updated_at = [], now
    draft.replaces_id = replaces.id if replaces is not None else None
    await session.flush()
    return draft, free


async def replaced_meeting(session: AsyncSession, proposal: MeetingProposal) -> Meeting | None:
    """The meeting a proposal moves, while it is still booked."""
    if proposal.replaces_id is None:
        return None
    meeting = await session.get(Meeting, proposal.replaces_id)
    return meeting if meeting is not None and meeting.state == MeetingState.BOOKED else None


async def send(session: AsyncSession, group: booking.Group, proposal: MeetingProposal, now: datetime) -> int:
    """Send a proposal to the others; an earlier open proposal of the group is replaced by it."""
    ids = set(proposal.slot_ids)
    slots = [s for s in await queries.slots_of(session, group.event.id) if s.id in ids and s.starts_at > now]
    if not slots:
        raise UserError("Pick at least one time first.")
    await proposal_queries.close_other_sent(session, group.row.id, proposal.id, now)
    proposal.state, proposal.slot_ids, proposal.updated_at = ProposalState.SENT, [s.id for s in slots], now
    proposer = next(m for m in group.members if m.id == proposal.proposer_id)
    messages = [
        NewMessage(
            f"mprop:{proposal.id}:{other.id}",
            other.platform,
            other.platform_user_id,
            meeting_texts.proposal(group.event, other, proposer, proposal.id, slots).to_dict(),
            other.id,
            group.event.id,
            not_before=timing.for_member(other, group.event, now, slots[0].starts_at),
        )
        for other in group.others(proposer.id)
    ]
    return await enqueue(session, messages, now)


@dataclass(frozen=True, slots=True)
class Answer:
    """What an acceptance came to: ``waiting_for`` the others, or a booking ``outcome`` for ``slot``."""

    waiting_for: list[Member]
    slot: MeetingSlot | None = None
    outcome: booking.Outcome | None = None
    queued: int = 0


async def accept(
    session: AsyncSession,
    group: booking.Group,
    proposal: MeetingProposal,
    member: Member,
    slot: MeetingSlot,
    now: datetime,
    group_dm_platforms: Collection[str],
) -> Answer:
    """Record the member's yes to ``slot``; book the earliest time everyone else has said yes to."""
    if await session.get(MeetingAcceptance, (proposal.id, member.id, slot.id)) is None:
        session.add(MeetingAcceptance(proposal_id=proposal.id, member_id=member.id, slot_id=slot.id))
        await session.flush()
    needed = {m.id for m in group.others(proposal.proposer_id)}
    said_yes = await proposal_queries.acceptances(session, proposal.id)
    slots = [s for s in await queries.slots_of(session, group.event.id) if s.id in set(proposal.slot_ids)]
    agreed_on = [s for s in slots if needed <= said_yes.get(s.id, set()) and s.starts_at > now]
    # The time just pressed when everyone has taken it (so a member can pick another after one filled up),
    # else the earliest everyone has.
    agreed = next((s for s in agreed_on if s.id == slot.id), agreed_on[0] if agreed_on else None)
    if agreed is None:
        waiting = [m for m in group.members if m.id in needed - said_yes.get(slot.id, set())]
        return Answer(waiting)
    replaces = await replaced_meeting(session, proposal)
    outcome, queued = await booking.book_or_move(session, group, agreed, now, replaces, group_dm_platforms)
    if outcome.meeting is not None:
        proposal.state, proposal.updated_at = ProposalState.BOOKED, now
    return Answer([], agreed, outcome, queued)
