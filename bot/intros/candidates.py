"""Reads what the matcher needs for an event from storage: candidates, history, blocks and rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching import Candidate, PastMeeting, Rules
from bot.outcomes import draw
from storage.models import (
    Block,
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


@dataclass(frozen=True, slots=True)
class Pool:
    """Everything one round of matching is computed from."""

    members: dict[int, Member]
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


async def load_pool(session: AsyncSession, event: Event, now: datetime, only: set[int] | None = None) -> Pool:
    await wake_expired_pauses(session, now)
    rows = (
        await session.execute(
            select(Member, Participant.role)
            .join(Participant, Participant.member_id == Member.id)
            .where(Participant.event_id == event.id, Participant.left_at.is_(None), Member.status == "active")
            .order_by(Member.id)
        )
    ).all()
    held_out = await draw.excluded_from_matching(session, event.id, now)  # a holdout gets no introductions
    members = {m.id: m for m, _ in rows if (only is None or m.id in only) and m.id not in held_out}
    roles = {member.id: role for member, role in rows}
    interests: dict[int, set[str]] = defaultdict(set)
    chosen = await session.execute(
        select(MemberInterest.member_id, InterestOption.label)
        .join(InterestOption, InterestOption.id == MemberInterest.option_id)
        .where(InterestOption.event_id == event.id)
    )
    for member_id, label in chosen.all():
        interests[member_id].add(label)
    priority = await _left_out_last_round(session, event.id)
    zone_fallback = event.time_zone
    candidates = tuple(
        Candidate(
            member_id=member.id,
            interests=frozenset(interests[member.id]),
            role=roles[member.id],
            utc_offset_hours=utc_offset_hours(member.time_zone or zone_fallback, now),
            platform=member.platform,
            cross_platform_ok=member.cross_platform_ok,
            priority=member.id in priority,
        )
        for member in members.values()
    )
    ids = list(members)
    history = (
        await session.execute(
            select(IntroHistory.member_a, IntroHistory.member_b, IntroHistory.introduced_at).where(
                IntroHistory.member_a.in_(ids), IntroHistory.member_b.in_(ids)
            )
        )
    ).all()
    blocks = (
        await session.execute(
            select(Block.member_id, Block.blocked_id).where(or_(Block.member_id.in_(ids), Block.blocked_id.in_(ids)))
        )
    ).all()
    return Pool(
        members=members,
        candidates=candidates,
        history=tuple(PastMeeting(a, b, when) for a, b, when in history),
        blocks=tuple((a, b) for a, b in blocks),
        rules=event_rules(event),
    )


async def _left_out_last_round(session: AsyncSession, event_id: int) -> set[int]:
    last = await session.scalar(select(func.max(Round.id)).where(Round.event_id == event_id))
    if last is None:
        return set()
    query = select(Intro.member_id).where(Intro.round_id == last, Intro.state == IntroState.LEFT_OUT)
    return set((await session.scalars(query)).all())
