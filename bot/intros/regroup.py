"""A member leaving (or erasing themselves) while their group's intro still waits to go out as one group
conversation: the conversation is not sent as is, to them and naming them. The same intro goes instead to the
others without them, rebuilt as the round builds it; a member left alone gets nothing from this group and is told,
like anyone whose match can't make it, that they are first in line next time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.intros import texts
from bot.intros.rounds import IntroQueue
from bot.matching import Group
from storage import meetings as meeting_queries
from storage import members as member_queries
from storage.models import Event, Intro, IntroGroup, IntroState, Member, Participant
from storage.outbox import NewMessage

PARTNER_LEFT = "the others in the group left the event"


async def regroup_without(
    session: AsyncSession, member: Member, now: datetime, group_dm_platforms: Collection[str]
) -> int:
    """Replace each queued group conversation listing ``member``; the number of messages queued instead."""
    queued = 0
    for row in await member_queries.queued_group_conversations(session, member):
        group_row = await session.get(IntroGroup, int(row.key.split(":")[1]))
        event = await session.get(Event, row.event_id) if row.event_id is not None else None
        if group_row is None or event is None:
            await member_queries.replace_queued(session, row, 0)
            continue
        query = (
            select(Member, Intro)
            .join(Intro, Intro.member_id == Member.id)
            .join(Participant, (Participant.member_id == Member.id) & (Participant.event_id == event.id))
            .where(Intro.group_id == group_row.id, Member.id != member.id, Participant.left_at.is_(None))
            .order_by(Member.id)
        )
        staying = [(row[0], row[1]) for row in (await session.execute(query)).all()]
        queue = IntroQueue(session, event, now, group_dm_platforms, report_id=row.broadcast_id)
        messages: list[NewMessage] = []
        if len(staying) >= 2:
            others = [other for other, _ in staying]
            group = Group(
                tuple(other.id for other in others),
                group_row.score,
                tuple(group_row.shared),
                tuple(group_row.roles),
                repeat=False,
            )
            meet = await meeting_queries.has_slots(session, event.id)
            messages = queue.intro_messages(group_row.id, group, others, await queue.starters(), meet=meet)
        elif staying:
            alone, intro = staying[0]
            group_row.state = "dissolved"
            intro.state, intro.group_id, intro.reason, intro.updated_at = IntroState.LEFT_OUT, None, PARTNER_LEFT, now
            notice = texts.partner_declined(event, found_another=False).to_dict()
            messages = [
                NewMessage(
                    f"freed:{group_row.id}:{alone.id}",
                    alone.platform,
                    alone.platform_user_id,
                    notice,
                    alone.id,
                    event.id,
                    not_before=queue.timing.when(alone),
                )
            ]
        await member_queries.replace_queued(session, row, len(messages))
        queued += await queue.queue(messages)
    return queued
