"""Who of an event's members a broadcast or a campaign step reaches, read in partitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, MemberInterest, MemberStatus, Participant

PARTITION = 1000


@dataclass(frozen=True, slots=True)
class Audience:
    """A filter on the event's active members; a field left None does not filter."""

    answered: bool | None = None  # whether they answered the interest poll
    rsvp: str | None = None  # the RSVP given ("yes", "no"), or "unknown": none given
    option_id: int | None = None  # they chose this interest option


async def active_members(session: AsyncSession, event_id: int, audience: Audience) -> Sequence[Member]:
    """Active members of the event (not left, paused or unreachable) in the audience, by id."""
    query: Select[Member] = (
        select(Member)
        .join(Participant, Participant.member_id == Member.id)
        .where(Participant.event_id == event_id, Participant.left_at.is_(None), Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
    )
    if audience.answered is True:
        query = query.where(Participant.answered_at.is_not(None))
    elif audience.answered is False:
        query = query.where(Participant.answered_at.is_(None))
    if audience.rsvp is not None:
        answer = audience.rsvp
        query = query.where(Participant.rsvp.is_(None) if answer == "unknown" else Participant.rsvp == answer)
    if audience.option_id is not None:
        chose = select(MemberInterest.member_id).where(MemberInterest.option_id == audience.option_id)
        query = query.where(Member.id.in_(chose))
    members: list[Member] = []
    async for partition in (await session.stream_scalars(query.execution_options(yield_per=PARTITION))).partitions():
        members += partition  # a few thousand rows per await: a large audience never holds the loop for long
    return members
