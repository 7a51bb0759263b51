"""Writes of a matching round, in batched statements: however many groups, a few statements per thousand rows.

Each batch is its own statement and its own await, so a round of 100,000 members never holds the event loop
for long in one piece (parameters are processed per batch), and the statement count grows by batches, not by
rows or groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Intro, IntroGroup, IntroHistory, Round, Starter

BATCH = 1000  # rows per statement


@dataclass(frozen=True, slots=True)
class NewGroup:
    score: float
    shared: tuple[str, ...]
    roles: tuple[str, ...]
    state: str


@dataclass(frozen=True, slots=True)
class Placement:
    """A member's intro row in a round: in a group (``group_id``) or left out (``reason``)."""

    member_id: int
    state: str
    group_id: int | None = None
    reason: str | None = None


async def next_number(session: AsyncSession, event_id: int) -> int:
    latest = await session.scalar(select(func.coalesce(func.max(Round.number), 0)).where(Round.event_id == event_id))
    return int(latest or 0) + 1


async def claim(session: AsyncSession, event_id: int, number: int, now: datetime) -> Round | None:
    """The new round row; None if this event's round ``number`` exists already (the unique key decides)."""
    row = Round(event_id=event_id, number=number, created_at=now)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def starters(session: AsyncSession, event_id: int) -> list[tuple[str, str]]:
    """The organisers' own conversation starters: (interest, text)."""
    rows = await session.execute(select(Starter.interest, Starter.text).where(Starter.event_id == event_id))
    return [(interest, text) for interest, text in rows.all()]


async def add_groups(session: AsyncSession, round_id: int, groups: Sequence[NewGroup]) -> list[int]:
    """Insert the groups; their ids, in the order given."""
    ids: list[int] = []
    for start in range(0, len(groups), BATCH):
        rows = [
            {"round_id": round_id, "score": g.score, "shared": list(g.shared), "roles": list(g.roles), "state": g.state}
            for g in groups[start : start + BATCH]
        ]
        statement = insert(IntroGroup).returning(IntroGroup.id, sort_by_parameter_order=True)
        ids += (await session.scalars(statement, rows)).all()
    return ids


async def place(session: AsyncSession, round_id: int, placements: Sequence[Placement], now: datetime) -> None:
    """Insert the members' intro rows of a round."""
    for start in range(0, len(placements), BATCH):
        rows = [
            {
                "round_id": round_id,
                "member_id": p.member_id,
                "group_id": p.group_id,
                "state": p.state,
                "reason": p.reason[:200] if p.reason else None,
                "updated_at": now,
            }
            for p in placements[start : start + BATCH]
        ]
        await session.execute(insert(Intro), rows)


async def record_meetings(
    session: AsyncSession, event_id: int, pairs: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Who has now been introduced to whom (each pair as (smaller id, larger id))."""
    for start in range(0, len(pairs), BATCH):
        rows = [
            {"event_id": event_id, "member_a": a, "member_b": b, "introduced_at": now}
            for a, b in pairs[start : start + BATCH]
        ]
        await session.execute(insert(IntroHistory), rows)
