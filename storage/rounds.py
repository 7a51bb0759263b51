"""Writes of a matching round, in batched statements: however many groups, a few statements per 500 rows.

Each batch is its own statement and its own await, so a round of 100,000 members never holds the event loop
for long in one piece (parameters are processed per batch), and the statement count grows by batches, not by
rows or groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, Intro, IntroGroup, IntroHistory, Member, Round, Starter

BATCH = 500  # rows per statement


def _table(model: type[Base]) -> Table:
    """The model's table: rows inserted into it skip the ORM's per-row bookkeeping of a bulk insert (the rows are
    plain values, keyed by column names, which are the attribute names here)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


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


async def claim(
    session: AsyncSession, event_id: int, number: int, now: datetime, *, complete: bool = True
) -> Round | None:
    """The new round row; None if this event's round ``number`` exists already (the unique key decides).
    ``complete=False``: the round is written in several transactions and ``finish`` marks it done."""
    row = Round(event_id=event_id, number=number, created_at=now, completed_at=now if complete else None)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def unfinished(session: AsyncSession, event_id: int) -> Round | None:
    """The event's round whose writing was cut short (the process stopped between its transactions), if any."""
    query = select(Round).where(Round.event_id == event_id, Round.completed_at.is_(None)).order_by(Round.number)
    return await session.scalar(query.limit(1))


async def of_event_newest_first(session: AsyncSession, event_id: int) -> Sequence[Round]:
    query = select(Round).where(Round.event_id == event_id).order_by(Round.number.desc())
    return (await session.scalars(query)).all()


async def groups_of(session: AsyncSession, round_ids: Sequence[int]) -> Sequence[IntroGroup]:
    """The rounds' groups, in the order they were made."""
    query = select(IntroGroup).where(IntroGroup.round_id.in_(list(round_ids))).order_by(IntroGroup.id)
    return (await session.scalars(query)).all()


@dataclass(frozen=True, slots=True)
class NamedPlacement:
    """A member's intro row in a round, with the member's name (what an organiser sees of it)."""

    round_id: int
    group_id: int | None
    state: str
    reason: str | None
    name: str


async def named_placements(session: AsyncSession, round_ids: Sequence[int]) -> list[NamedPlacement]:
    """Every member's intro row in these rounds, by member id."""
    query = (
        select(Intro.round_id, Intro.group_id, Intro.state, Intro.reason, Member.display_name)
        .join(Member, Member.id == Intro.member_id)
        .where(Intro.round_id.in_(list(round_ids)))
        .order_by(Intro.member_id)
    )
    return [NamedPlacement(*row) for row in (await session.execute(query)).all()]


async def placed(session: AsyncSession, round_id: int) -> set[int]:
    """Members who have their intro row in the round already."""
    return set((await session.scalars(select(Intro.member_id).where(Intro.round_id == round_id))).all())


async def finish(session: AsyncSession, round_id: int, now: datetime) -> None:
    await session.execute(update(Round).where(Round.id == round_id).values(completed_at=now))


async def starters(session: AsyncSession, event_id: int) -> list[tuple[str, str]]:
    """The organisers' own conversation starters: (interest, text)."""
    rows = await session.execute(select(Starter.interest, Starter.text).where(Starter.event_id == event_id))
    return [(interest, text) for interest, text in rows.all()]


async def add_groups(session: AsyncSession, round_id: int, groups: Sequence[NewGroup]) -> list[int]:
    """Insert the groups; their ids, in the order given.

    The ids are reserved first and written explicitly: an ``INSERT … RETURNING`` that must return ids in the order
    of its rows is sent one row at a time on SQLite (SQLAlchemy cannot otherwise promise the order).
    """
    ids = await _reserve_group_ids(session, len(groups))
    for start in range(0, len(groups), BATCH):
        rows = [
            {
                "id": group_id,
                "round_id": round_id,
                "score": g.score,
                "shared": list(g.shared),
                "roles": list(g.roles),
                "state": g.state,
            }
            for group_id, g in zip(ids[start : start + BATCH], groups[start : start + BATCH], strict=True)
        ]
        await session.execute(insert(_table(IntroGroup)), rows)
    return ids


async def _reserve_group_ids(session: AsyncSession, count: int) -> list[int]:
    """``count`` new intro-group ids in one statement. PostgreSQL: from the table's sequence (safe beside other
    writers). SQLite: after the largest id; safe because the transaction began IMMEDIATE, so it holds the one
    write lock until it commits and nobody else can insert meanwhile."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(IntroGroup.__tablename__, "id")
        series = func.generate_series(1, count).table_valued("n")
        return list((await session.scalars(select(func.nextval(sequence)).select_from(series))).all())
    largest = await session.scalar(select(func.coalesce(func.max(IntroGroup.id), 0)))
    return list(range(int(largest or 0) + 1, int(largest or 0) + 1 + count))


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
        await session.execute(insert(_table(Intro)), rows)


async def record_meetings(
    session: AsyncSession, event_id: int, pairs: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Who has now been introduced to whom (each pair as (smaller id, larger id))."""
    for start in range(0, len(pairs), BATCH):
        rows = [
            {"event_id": event_id, "member_a": a, "member_b": b, "introduced_at": now}
            for a, b in pairs[start : start + BATCH]
        ]
        await session.execute(insert(_table(IntroHistory)), rows)


async def introduced_anyone(session: AsyncSession, event_id: int) -> bool:
    """Whether a round of the event made at least one group (a round of nobody leaves the campaign's intros to do)."""
    made = select(IntroGroup.id).join(Round, Round.id == IntroGroup.round_id).where(Round.event_id == event_id)
    return await session.scalar(made.limit(1)) is not None


async def introduced_pairs(session: AsyncSession, event_id: int) -> set[tuple[int, int]]:
    """Every pair introduced in the event's rounds so far, as (smaller id, larger id)."""
    rows = await session.execute(
        select(IntroHistory.member_a, IntroHistory.member_b).where(IntroHistory.event_id == event_id)
    )
    return {(min(a, b), max(a, b)) for a, b in rows.all()}


async def latest(session: AsyncSession, event_id: int) -> Round | None:
    """The event's most recent complete round, if any."""
    query = select(Round).where(Round.event_id == event_id, Round.completed_at.is_not(None))
    return await session.scalar(query.order_by(Round.number.desc()).limit(1))


async def placed_count(session: AsyncSession, round_id: int) -> int:
    """How many members the round put in a group."""
    query = select(func.count()).select_from(Intro).where(Intro.round_id == round_id, Intro.group_id.is_not(None))
    return int(await session.scalar(query) or 0)
