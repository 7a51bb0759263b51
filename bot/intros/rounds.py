"""A matching round: plan it (a preview), then store it and queue its messages, in batches of groups.

Planning reads the pool and runs the matcher in a separate process (``solver_process``). Storing writes the
groups, the members' intro rows, who met whom and every message in batched statements (``storage.rounds``,
``storage.outbox``): a batch of 150 groups costs six statements, so a round grows by batches, not by groups.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaign.timing import group_delivery, outside_quiet_hours
from bot.errors import UserError
from bot.intros import delivery_report, texts
from bot.intros.candidates import Pool, load_pool
from bot.intros.repeats import without_repeats
from bot.intros.solver_process import match_in_process
from bot.intros.starters import pick_starter
from bot.matching import Group, MatchResult
from bot.people import Person
from storage import meetings as meeting_queries
from storage import rounds as round_queries
from storage.database import Database
from storage.models import Event, Intro, IntroGroup, IntroState, Round
from storage.outbox import NewMessage, enqueue
from storage.rounds import NewGroup, Placement

log = logging.getLogger(__name__)
DeliverAt = Callable[[Person], datetime]
CHUNK = 150  # groups per batch of statements (and per transaction, for an organiser's round)
YIELD_EVERY = 50  # groups whose messages are built between two turns of the loop


@dataclass(frozen=True, slots=True)
class Plan:
    number: int
    pool: Pool
    result: MatchResult
    solver_peak_mb: float = 0.0  # the matcher process's peak resident memory


def seed_for(event_id: int, number: int) -> int:
    """The same round of the same event always gets the same seed, so a preview is what will be sent."""
    return event_id * 100_003 + number


async def read_pool(
    session: AsyncSession,
    event: Event,
    now: datetime,
    number: int | None = None,
    *,
    wake_pauses: bool = True,
    excluding: Collection[int] = (),
) -> tuple[int, Pool]:
    """The round's number and everything it is matched from (but the members ``excluding``)."""
    number = number or await round_queries.next_number(session, event.id)
    return number, await load_pool(session, event, now, wake_pauses=wake_pauses, excluding=excluding)


async def solve(event_id: int, number: int, pool: Pool) -> Plan:
    """Match the pool in a separate process: the loop keeps answering, and no transaction is needed."""
    started = time.perf_counter()
    matched = await match_in_process(pool.candidates, pool.history, pool.blocks, pool.rules, seed_for(event_id, number))
    log.info(
        "round matched",
        extra={
            "event_id": event_id,
            "members": len(pool.candidates),
            "groups": len(matched.result.groups),
            "matcher_seconds": round(time.perf_counter() - started, 3),
            "matcher_cpu_seconds": round(matched.cpu_seconds, 3),
            "matcher_peak_rss_mb": round(matched.peak_mb, 1),
        },
    )
    return Plan(number, pool, matched.result, matched.peak_mb)


async def plan_round(session: AsyncSession, event: Event, now: datetime, number: int | None = None) -> Plan:
    """Read the pool in ``session`` and match it (in a separate process)."""
    number, pool = await read_pool(session, event, now, number)
    return only_new(await solve(event.id, number, pool), await introduced_before(session, event))


async def introduced_before(session: AsyncSession, event: Event) -> set[tuple[int, int]]:
    """The pairs a round of the event must not introduce again: a dated event's own; none for a community."""
    return await round_queries.introduced_pairs(session, event.id) if event.recurrence is None else set()


def only_new(plan: Plan, met: Collection[tuple[int, int]]) -> Plan:
    """The plan without any introduction its members already had (see ``repeats``)."""
    groups, taken_out = without_repeats(plan.result.groups, plan.pool.candidates, met)
    if not taken_out:
        return plan
    total = sum(group.score for group in groups)
    result = replace(plan.result, groups=groups, left_out=plan.result.left_out + taken_out, total_score=total)
    return replace(plan, result=result)


@lru_cache(maxsize=1024)
def _waking(now: datetime, zone: str) -> datetime:
    """``outside_quiet_hours``, once per moment and zone: a round asks it for each of thousands of members, who
    live in a few zones."""
    return outside_quiet_hours(now, zone)


@dataclass(frozen=True, slots=True)
class Timing:
    """When messages of a round go out: each member's at their own hour, a group conversation within everyone's
    waking hours. No database needed, so a preview can say it too."""

    event: Event
    now: datetime
    group_dm_platforms: Collection[str]
    deliver_at: DeliverAt | None = None

    def zone(self, member: Person) -> str:
        return member.time_zone or self.event.time_zone

    def when(self, member: Person) -> datetime:
        """A campaign delivers at each member's local hour; anything else (an organiser's command, an answer
        of another member) as soon as it is daytime for the member."""
        return self.deliver_at(member) if self.deliver_at else _waking(self.now, self.zone(member))

    def together(self, members: Sequence[Person]) -> datetime | None:
        """When one conversation of ``members`` goes out: the first moment, from the earliest of their own
        times, within everyone's waking hours. None: their platform cannot hold one, or no such moment exists
        (then each gets their own message at their own hour)."""
        platforms = {member.platform for member in members}
        if len(platforms) != 1 or next(iter(platforms)) not in self.group_dm_platforms:
            return None
        return group_delivery(min(self.when(m) for m in members), {self.zone(m) for m in members})


@dataclass(frozen=True, slots=True)
class IntroQueue:
    """Queues introduction messages; knows which platforms can hold a group conversation."""

    session: AsyncSession
    event: Event
    now: datetime
    group_dm_platforms: Collection[str]
    deliver_at: DeliverAt | None = None
    report_id: int | None = None  # the round's delivery report: its messages count towards it

    @property
    def timing(self) -> Timing:
        return Timing(self.event, self.now, self.group_dm_platforms, self.deliver_at)

    async def queue(self, messages: Sequence[NewMessage]) -> int:
        if self.report_id is not None:
            messages = [replace(m, broadcast_id=self.report_id) for m in messages]
        return await enqueue(self.session, messages, self.now)

    async def starters(self) -> dict[str, list[str]]:
        custom: dict[str, list[str]] = defaultdict(list)
        for interest, text in await round_queries.starters(self.session, self.event.id):
            custom[interest.casefold()].append(text)
        return custom

    def intro_messages(
        self,
        group_id: int,
        group: Group,
        members: Sequence[Person],
        custom: Mapping[str, Sequence[str]],
        *,
        meet: bool = False,
    ) -> list[NewMessage]:
        """A group's introduction: one message in a group conversation where the platform has them and a waking
        hour suits everyone, else one to each member naming the others, each at their own hour."""
        timing = self.timing
        starter = pick_starter(group.shared_interests, custom, random.Random(group_id))
        if (together := timing.together(members)) is not None:
            message = texts.intro(self.event, None, members, group, group_id, starter, self.now, meet=meet)
            users = ",".join(sorted(member.platform_user_id for member in members))
            return [
                NewMessage(
                    f"intro:{group_id}:group",
                    members[0].platform,
                    users,
                    message.to_dict(),
                    None,
                    self.event.id,
                    "group",
                    not_before=together,
                )
            ]
        messages = []
        for member in members:
            others = [other for other in members if other.id != member.id]
            message = texts.intro(self.event, member, others, group, group_id, starter, self.now, meet=meet)
            messages.append(
                NewMessage(
                    f"intro:{group_id}:{member.id}",
                    member.platform,
                    member.platform_user_id,
                    message.to_dict(),
                    member.id,
                    self.event.id,
                    not_before=timing.when(member),
                )
            )
        return messages

    def proposal_messages(self, group_id: int, group: Group, members: Sequence[Person]) -> list[NewMessage]:
        message = texts.proposal(self.event, group, group_id, members, self.now).to_dict()
        timing = self.timing
        return [
            NewMessage(
                f"proposal:{group_id}:{m.id}",
                m.platform,
                m.platform_user_id,
                message,
                m.id,
                self.event.id,
                not_before=timing.when(m),
            )
            for m in members
        ]

    async def introduce(self, group_row: IntroGroup, group: Group, members: Sequence[Person]) -> int:
        """Queue the intro(s) of one group and record that its members have met (a double opt-in completed)."""
        meet = await meeting_queries.has_slots(self.session, self.event.id)
        messages = self.intro_messages(group_row.id, group, members, await self.starters(), meet=meet)
        await round_queries.record_meetings(self.session, self.event.id, _pairs(members), self.now)
        return await self.queue(messages)

    async def add_groups(
        self,
        round_row: Round,
        pool: Pool,
        groups: Sequence[Group],
        existing: Mapping[int, Intro] | None = None,
        custom: Mapping[str, Sequence[str]] | None = None,
        meet: bool | None = None,
    ) -> int:
        """Store the groups (reusing members' intro rows where they exist) and queue intros or proposals, a
        thousand groups per batch of statements."""
        opt_in = self.event.double_opt_in
        state = IntroState.PROPOSED if opt_in else IntroState.INTRODUCED
        if custom is None:
            custom = {} if opt_in else await self.starters()
        if meet is None:  # whether intros offer a time to meet: once per round, not per batch
            meet = not opt_in and await meeting_queries.has_slots(self.session, self.event.id)
        queued = 0
        for start in range(0, len(groups), CHUNK):
            chunk = groups[start : start + CHUNK]
            new_groups = [
                NewGroup(g.score, g.shared_interests, g.complementary_roles, "proposed" if opt_in else "introduced")
                for g in chunk
            ]
            group_ids = await round_queries.add_groups(self.session, round_row.id, new_groups)
            placements, pairs, messages = [], [], []
            for index, (group_id, group) in enumerate(zip(group_ids, chunk, strict=True)):
                if index and index % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # building messages is CPU work: let the loop serve others in between
                members = [pool.members[member_id] for member_id in group.members]
                for member_id in group.members:
                    row = (existing or {}).get(member_id)
                    if row is None:
                        placements.append(Placement(member_id, state, group_id))
                    else:
                        row.group_id, row.state, row.updated_at = group_id, state, self.now
                if opt_in:
                    messages += self.proposal_messages(group_id, group, members)
                else:
                    messages += self.intro_messages(group_id, group, members, custom, meet=meet)
                    pairs += _pairs(members)
            await round_queries.place(self.session, round_row.id, placements, self.now)
            await round_queries.record_meetings(self.session, self.event.id, pairs, self.now)
            queued += await self.queue(messages)
        return queued


def _pairs(members: Sequence[Person]) -> list[tuple[int, int]]:
    ids = sorted(member.id for member in members)
    return [(a, b) for index, a in enumerate(ids) for b in ids[index + 1 :]]


async def run_round(
    session: AsyncSession,
    event: Event,
    plan: Plan,
    now: datetime,
    group_dm_platforms: Collection[str],
    deliver_at: DeliverAt | None = None,
) -> int:
    """Store the round and queue every message in ``session``'s transaction (a campaign step's, which is claimed,
    run and marked done as one). The unique (event, number) makes a second run impossible."""
    round_row = await round_queries.claim(session, event.id, plan.number, now)
    if round_row is None:
        raise UserError(f"Round {plan.number} of {event.name} has already been sent.")
    report = await delivery_report.start(session, event, plan.number, now)
    intro_queue = IntroQueue(session, event, now, group_dm_platforms, deliver_at, report)
    queued = await intro_queue.add_groups(round_row, plan.pool, plan.result.groups)
    queued += await _leave_out(intro_queue, round_row.id, plan)
    if report is not None:
        queued += await delivery_report.finish(session, event, report, plan.number, queued, now)
    return queued


async def run_round_in_steps(
    database: Database,
    event: Event,
    plan: Plan,
    now: datetime,
    group_dm_platforms: Collection[str],
    resuming: Round | None = None,
) -> int:
    """Store the round in short transactions: the round row, then each batch of groups with its intro rows,
    meetings and messages, then whoever was left out, and the mark that the round is complete. So a round of any
    size holds SQLite's one writer for one batch at a time, and everyone else's writes go between two batches.

    A batch is whole or absent. If the process stops in between, the round stays unfinished, and the next
    ``/match now`` finishes it (``resuming``) for the members who have no intro row in it yet, instead of
    starting another round that would introduce the others twice."""
    round_row = resuming
    if round_row is None:
        async with database.transaction() as session:
            round_row = await round_queries.claim(session, event.id, plan.number, now, complete=False)
        if round_row is None:
            raise UserError(f"Round {plan.number} of {event.name} has already been sent.")
    queued = 0
    groups = plan.result.groups
    custom: dict[str, list[str]] = {}
    meet = False
    async with database.transaction() as session:
        report = await delivery_report.start(session, event, round_row.number, now)
    for start in range(0, len(groups), CHUNK):
        async with database.transaction() as session:
            intro_queue = IntroQueue(session, event, now, group_dm_platforms, report_id=report)
            if start == 0 and not event.double_opt_in:
                custom = await intro_queue.starters()
                meet = await meeting_queries.has_slots(session, event.id)
            queued += await intro_queue.add_groups(
                round_row, plan.pool, groups[start : start + CHUNK], custom=custom, meet=meet
            )
    async with database.transaction() as session:
        intro_queue = IntroQueue(session, event, now, group_dm_platforms, report_id=report)
        queued += await _leave_out(intro_queue, round_row.id, plan)
        if report is not None:
            queued += await delivery_report.finish(session, event, report, round_row.number, queued, now)
        await round_queries.finish(session, round_row.id, now)
    return queued


async def _leave_out(intro_queue: IntroQueue, round_id: int, plan: Plan) -> int:
    """The left-out members' intro rows (with the reason) and the message telling them why."""
    left_out = [(plan.pool.members[left.member_id], left.reason) for left in plan.result.left_out]
    met = {m.a for m in plan.pool.history} | {m.b for m in plan.pool.history}  # introduced before
    placements = [Placement(m.id, IntroState.LEFT_OUT, reason=why) for m, why in left_out]
    await round_queries.place(intro_queue.session, round_id, placements, intro_queue.now)
    return await intro_queue.queue(
        [
            NewMessage(
                f"leftout:{round_id}:{member.id}",
                member.platform,
                member.platform_user_id,
                texts.left_out(intro_queue.event, why, introduced_before=member.id in met).to_dict(),
                member.id,
                intro_queue.event.id,
                not_before=intro_queue.timing.when(member),
            )
            for member, why in left_out
        ]
    )
