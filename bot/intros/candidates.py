"""Reads what the matcher needs for an event from storage: candidates, history, blocks (and declined proposals)
and rules."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching import Candidate, PastMeeting, Rules
from bot.outcomes import draw
from bot.people import PoolMember
from storage.models import (
    Block,
    Decline,
    Event,
    InterestOption,
    Intro,
    IntroHistory,
    IntroState,
    Member,
    MemberInterest,
    MemberStatus,
    Participant,
    Round,
)

PARTITION = 1000  # rows per fetch: loading them is one short stretch of the loop


@dataclass(frozen=True, slots=True)
class Pool:
    """Everything one round of matching is computed from."""

    members: dict[int, PoolMember]
    candidates: tuple[Candidate, ...]
    history: tuple[PastMeeting, ...]
    blocks: tuple[tuple[int, int], ...]
    rules: Rules


def event_rules(event: Event) -> Rules:
    rules = event.rules or {}
    return Rules(
        group_size=event.group_size,
        cross_roles=frozenset(frozenset(pair) for pair in rules.get("cross_roles", [])),
        max_per_role=rules.get("max_per_role"),
        prefer_within_hours=rules.get("prefer_within_hours"),
    )


def utc_offset_hours(zone: str | None, now: datetime) -> float | None:
    if not zone:
        return None
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else None


async def wake_expired_pauses(session: AsyncSession, now: datetime) -> None:
    """A pause with an end date ends by itself."""
    await session.execute(
        update(Member)
        .where(Member.status == MemberStatus.PAUSED, Member.paused_until.is_not(None), Member.paused_until <= now)
        .values(status=MemberStatus.ACTIVE, paused_until=None)
    )


async def load_pool(
    session: AsyncSession,
    event: Event,
    now: datetime,
    only: set[int] | None = None,
    *,
    wake_pauses: bool = True,
    excluding: Collection[int] = (),
) -> Pool:
    """Read in partitions of a thousand rows: each is one await, so a large pool never holds the loop long.
    ``only`` / ``excluding``: these members only, or everyone but these. ``wake_pauses``: end expired pauses and draw a
    holdout's latecomers first (writes; the caller may have done them in its own transaction)."""
    if wake_pauses:
        await wake_expired_pauses(session, now)
        await draw.draw_latecomers(session, event.id, now)
    held_out = await draw.held_out(session, event.id)  # a holdout gets no introductions
    members: dict[int, PoolMember] = {}
    roles: dict[int, str | None] = {}
    consent: dict[int, bool] = {}
    active = await session.stream(
        select(
            Member.id,
            Member.platform,
            Member.platform_user_id,
            Member.display_name,
            Member.handle,
            Member.time_zone,
            Member.cross_platform_ok,
            Participant.role,
        )
        .join(Participant, Participant.member_id == Member.id)
        .where(Participant.event_id == event.id, Participant.left_at.is_(None), Member.status == "active")
        .order_by(Member.id)
        .execution_options(yield_per=PARTITION)
    )
    async for partition in active.partitions():
        for member_id, platform, user_id, name, handle, zone, cross_platform_ok, role in partition:
            roles[member_id] = role
            if (only is None or member_id in only) and member_id not in excluding and member_id not in held_out:
                members[member_id] = PoolMember(member_id, platform, user_id, name, handle, zone)
                consent[member_id] = cross_platform_ok
    interests: dict[int, set[str]] = defaultdict(set)
    chosen = await session.stream(
        select(MemberInterest.member_id, InterestOption.label)
        .join(InterestOption, InterestOption.id == MemberInterest.option_id)
        .where(InterestOption.event_id == event.id)
        .execution_options(yield_per=PARTITION)
    )
    async for rows in chosen.partitions():
        for member_id, label in rows:
            interests[member_id].add(label)
    priority = await _left_out_last_round(session, event.id)
    offsets: dict[str | None, float | None] = {}
    candidates: list[Candidate] = []
    for index, member in enumerate(members.values()):
        if index and index % PARTITION == 0:
            await asyncio.sleep(0)  # building candidates is CPU work: let the loop serve others in between
        zone = member.time_zone or event.time_zone
        if zone not in offsets:
            offsets[zone] = utc_offset_hours(zone, now)
        candidates.append(
            Candidate(
                member_id=member.id,
                interests=frozenset(interests[member.id]),
                role=roles[member.id],
                utc_offset_hours=offsets[zone],
                platform=member.platform,
                cross_platform_ok=consent[member.id],
                priority=member.id in priority,
            )
        )
    # Pairs among the event's participants (a subquery, not a list of ids: 100,000 ids are too many parameters).
    # Pairs with someone who is not a candidate this round are filtered out below.
    joined = select(Participant.member_id).where(Participant.event_id == event.id)
    history: list[PastMeeting] = []
    met = await session.stream(
        select(IntroHistory.member_a, IntroHistory.member_b, IntroHistory.introduced_at)
        .where(IntroHistory.member_a.in_(joined), IntroHistory.member_b.in_(joined))
        .execution_options(yield_per=PARTITION)
    )
    async for meetings in met.partitions():
        history += (PastMeeting(a, b, when) for a, b, when in meetings if a in members and b in members)
    blocks = (
        await session.execute(
            select(Block.member_id, Block.blocked_id).where(
                or_(Block.member_id.in_(joined), Block.blocked_id.in_(joined))
            )
        )
    ).all()
    # A "No thanks" to a double opt-in proposal keeps that pair apart for the rest of the event, as a block does.
    declined = (
        await session.execute(select(Decline.member_id, Decline.declined_id).where(Decline.event_id == event.id))
    ).all()
    blocks = [*blocks, *declined]
    return Pool(
        members=members,
        candidates=tuple(candidates),
        history=tuple(history),
        blocks=tuple((a, b) for a, b in blocks if a in members or b in members),
        rules=event_rules(event),
    )


async def _left_out_last_round(session: AsyncSession, event_id: int) -> set[int]:
    completed = (Round.event_id == event_id) & Round.completed_at.is_not(None)
    last = await session.scalar(select(func.max(Round.id)).where(completed))
    if last is None:
        return set()
    query = select(Intro.member_id).where(Intro.round_id == last, Intro.state == IntroState.LEFT_OUT)
    return set((await session.scalars(query)).all())
