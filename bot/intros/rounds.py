"""A matching round: plan it (a preview), then store it and queue its messages in one transaction."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.intros import texts
from bot.intros.candidates import Pool, load_pool
from bot.intros.starters import pick_starter
from bot.matching import Group, MatchResult, match
from storage import meetings as meeting_queries
from storage.models import Event, Intro, IntroGroup, IntroHistory, IntroState, Member, Round, Starter
from storage.outbox import NewMessage, enqueue

DeliverAt = Callable[[Member], datetime]


@dataclass(frozen=True, slots=True)
class Plan:
    number: int
    pool: Pool
    result: MatchResult


def seed_for(event_id: int, number: int) -> int:
    """The same round of the same event always gets the same seed, so a preview is what will be sent."""
    return event_id * 100_003 + number


async def next_number(session: AsyncSession, event_id: int) -> int:
    return (
        int(
            await session.scalar(select(func.coalesce(func.max(Round.number), 0)).where(Round.event_id == event_id))
            or 0
        )
        + 1
    )


async def plan_round(session: AsyncSession, event: Event, now: datetime, number: int | None = None) -> Plan:
    """Load the pool and match it. The matcher is pure CPU work (about 1.3 s for 10,000 members): it runs in a
    worker thread so that the loop keeps answering meanwhile (Slack wants an acknowledgement within 3 s)."""
    number = number or await next_number(session, event.id)
    pool = await load_pool(session, event, now)
    seed = seed_for(event.id, number)
    result = await asyncio.to_thread(match, pool.candidates, pool.history, pool.blocks, pool.rules, seed=seed)
    return Plan(number, pool, result)


@dataclass(frozen=True, slots=True)
class IntroQueue:
    """Queues introduction messages; knows which platforms can hold a group conversation."""

    session: AsyncSession
    event: Event
    now: datetime
    group_dm_platforms: Collection[str]
    deliver_at: DeliverAt | None = None

    def when(self, member: Member) -> datetime | None:
        """A campaign delivers at each member's local hour; an organiser's command delivers now."""
        return self.deliver_at(member) if self.deliver_at else None

    async def queue(self, messages: list[NewMessage]) -> int:
        return await enqueue(self.session, messages, self.now)

    async def starters(self) -> dict[str, list[str]]:
        custom: dict[str, list[str]] = defaultdict(list)
        for row in (await self.session.scalars(select(Starter).where(Starter.event_id == self.event.id))).all():
            custom[row.interest.casefold()].append(row.text)
        return custom

    async def introduce(self, group_row: IntroGroup, group: Group, members: Sequence[Member]) -> int:
        """Queue the intro(s) of one group and record that its members have met."""
        starter = pick_starter(group.shared_interests, await self.starters(), random.Random(group_row.id))
        meet = await meeting_queries.has_slots(self.session, self.event.id)
        platforms = {member.platform for member in members}
        messages: list[NewMessage] = []
        if len(platforms) == 1 and next(iter(platforms)) in self.group_dm_platforms:
            message = texts.intro(self.event, None, members, group, group_row.id, starter, meet=meet)
            users = ",".join(sorted(member.platform_user_id for member in members))
            messages.append(
                NewMessage(
                    f"intro:{group_row.id}:group",
                    members[0].platform,
                    users,
                    message.to_dict(),
                    None,
                    self.event.id,
                    "group",
                )
            )
        else:
            for member in members:
                others = [other for other in members if other.id != member.id]
                message = texts.intro(self.event, member, others, group, group_row.id, starter, meet=meet)
                messages.append(
                    NewMessage(
                        f"intro:{group_row.id}:{member.id}",
                        member.platform,
                        member.platform_user_id,
                        message.to_dict(),
                        member.id,
                        self.event.id,
                        not_before=self.when(member),
                    )
                )
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                self.session.add(
                    IntroHistory(
                        event_id=self.event.id,
                        member_a=min(first.id, second.id),
                        member_b=max(first.id, second.id),
                        introduced_at=self.now,
                    )
                )
        return await self.queue(messages)

    async def propose(self, group_row: IntroGroup, group: Group, members: Sequence[Member]) -> int:
        message = texts.proposal(self.event, group, group_row.id).to_dict()
        return await self.queue(
            [
                NewMessage(
                    f"proposal:{group_row.id}:{m.id}",
                    m.platform,
                    m.platform_user_id,
                    message,
                    m.id,
                    self.event.id,
                    not_before=self.when(m),
                )
                for m in members
            ]
        )

    async def add_groups(
        self, round_row: Round, pool: Pool, groups: Sequence[Group], existing: dict[int, Intro] | None = None
    ) -> int:
        """Store the groups (reusing members' intro rows where they exist) and queue intros or proposals."""
        queued = 0
        opt_in = self.event.double_opt_in
        state = IntroState.PROPOSED if opt_in else IntroState.INTRODUCED
        for group in groups:
            group_row = IntroGroup(
                round_id=round_row.id,
                score=group.score,
                shared=list(group.shared_interests),
                roles=list(group.complementary_roles),
                state="proposed" if opt_in else "introduced",
            )
            self.session.add(group_row)
            await self.session.flush()
            for member_id in group.members:
                row = (existing or {}).get(member_id)
                if row is None:
                    self.session.add(
                        Intro(
                            round_id=round_row.id,
                            group_id=group_row.id,
                            member_id=member_id,
                            state=state,
                            updated_at=self.now,
                        )
                    )
                else:
                    row.group_id, row.state, row.updated_at = group_row.id, state, self.now
            members = [pool.members[member_id] for member_id in group.members]
            queued += await (self.propose if opt_in else self.introduce)(group_row, group, members)
        return queued


async def run_round(
    session: AsyncSession,
    event: Event,
    plan: Plan,
    now: datetime,
    group_dm_platforms: Collection[str],
    deliver_at: DeliverAt | None = None,
) -> int:
    """Store the round and queue every message. The unique (event, number) makes a second run impossible."""
    round_row = Round(event_id=event.id, number=plan.number, created_at=now)
    try:
        async with session.begin_nested():
            session.add(round_row)
            await session.flush()
    except IntegrityError:
        raise UserError(f"Round {plan.number} of {event.name} has already been sent.") from None
    intro_queue = IntroQueue(session, event, now, group_dm_platforms, deliver_at)
    queued = await intro_queue.add_groups(round_row, plan.pool, plan.result.groups)
    for left in plan.result.left_out:
        member = plan.pool.members[left.member_id]
        session.add(
            Intro(
                round_id=round_row.id,
                member_id=member.id,
                state=IntroState.LEFT_OUT,
                reason=left.reason[:200],
                updated_at=now,
            )
        )
        queued += await intro_queue.queue(
            [
                NewMessage(
                    f"leftout:{round_row.id}:{member.id}",
                    member.platform,
                    member.platform_user_id,
                    texts.left_out(event, left.reason).to_dict(),
                    member.id,
                    event.id,
                    not_before=intro_queue.when(member),
                )
            ]
        )
    return queued
