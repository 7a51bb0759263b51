"""Who a broadcast or a step reaches: all, answered, did not answer, by RSVP, or by interest."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from storage.models import Event, InterestOption, Member, MemberInterest, MemberStatus, Participant

PARTITION = 1000
AUDIENCES = ("all", "answered", "unanswered", "rsvp-yes", "rsvp-no", "rsvp-unknown")
AUDIENCE_HELP = "all, answered, unanswered, rsvp-yes, rsvp-no, rsvp-unknown or interest:NAME"


def parse_audience(value: str) -> str:
    audience = value.strip().lower()
    if audience.startswith("interest:"):
        name = " ".join(value.strip()[len("interest:") :].strip().strip('"').split())
        if name:
            return f"interest:{name}"
    if audience in AUDIENCES:
        return audience
    raise UserError(f"“{value[:30]}” is not an audience I know. Use {AUDIENCE_HELP}.")


async def members_of(session: AsyncSession, event: Event, audience: str) -> Sequence[Member]:
    """Active members of the event (not left, paused or unreachable) in the audience, by id."""
    query: Select[Member] = (
        select(Member)
        .join(Participant, Participant.member_id == Member.id)
        .where(Participant.event_id == event.id, Participant.left_at.is_(None), Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
    )
    if audience == "answered":
        query = query.where(Participant.answered_at.is_not(None))
    elif audience == "unanswered":
        query = query.where(Participant.answered_at.is_(None))
    elif audience.startswith("rsvp-"):
        answer = audience.removeprefix("rsvp-")
        query = query.where(Participant.rsvp.is_(None) if answer == "unknown" else Participant.rsvp == answer)
    elif audience.startswith("interest:"):
        label = audience.removeprefix("interest:").strip()
        option = await session.scalar(
            select(InterestOption.id).where(
                InterestOption.event_id == event.id, func.lower(InterestOption.label) == label.lower()
            )
        )
        if option is None:
            labels = (
                await session.scalars(
                    select(InterestOption.label)
                    .where(InterestOption.event_id == event.id)
                    .order_by(InterestOption.position)
                )
            ).all()
            known = f"Its poll's options: {', '.join(labels)}." if labels else "It has no interest poll yet."
            raise UserError(f"{event.name} has no interest called “{label[:40]}”. {known} Nothing was sent.")
        query = query.where(Member.id.in_(select(MemberInterest.member_id).where(MemberInterest.option_id == option)))
    members: list[Member] = []
    async for partition in (await session.stream_scalars(query.execution_options(yield_per=PARTITION))).partitions():
        members += partition  # a few thousand rows per await: a large audience never holds the loop for long
    return members
