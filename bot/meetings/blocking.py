"""A block ("Don't match me with them again") ends what meetings were arranging between the two.

The group's booked meeting still ahead is cancelled, and the others are told it is off without being told
why (the blocker was promised "they won't be told"); its open proposals close, and the blocker is not
asked "did you meet?" about them. New proposals are refused by :func:`bot.meetings.booking.load_group`,
which treats a group with a block inside it as closed.
"""

from __future__ import annotations

from datetime import datetime

from bot.meetings import booking
from storage import intros as intro_queries
from storage import meetings as queries
from storage import outbox, proposals
from storage.models import Event, Member
from storage.session import AsyncSession

WHY = "it can't go ahead as planned."


async def after_block(session: AsyncSession, group_id: int, blocker: Member, now: datetime) -> tuple[int, bool]:
    """Cancel the group's meeting still ahead, close its proposals, stop its follow-ups. Returns how many
    messages were queued and whether a meeting was cancelled."""
    queued, cancelled = 0, False
    meeting = await queries.live_meeting(session, group_id)
    if meeting is not None and meeting.starts_at > now:
        event = await session.get(Event, meeting.event_id)
        assert event is not None
        others = [m for m in await queries.group_members(session, group_id) if m.id != blocker.id]
        queued = await booking.cancel(session, meeting, event, now, WHY, others, rebook=False, also_file=[blocker])
        cancelled = True
    await proposals.close_open(session, group_id, now)
    await _stop_followups(session, group_id, blocker, now)
    return queued, cancelled


async def _stop_followups(session: AsyncSession, group_id: int, blocker: Member, now: datetime) -> None:
    """The blocker is not asked about them; the others still are (they may have met before the block, and
    their answer is the event's outcome)."""
    intro = (await intro_queries.of_group(session, group_id)).get(blocker.id)
    if intro is None:
        return
    if intro.followup_sent_at is None or intro.followup_sent_at > now:
        intro.followup_sent_at = now  # the campaign's follow-up step does not ask either
    await outbox.withdraw_queued(session, [f"followup:{intro.id}"])
