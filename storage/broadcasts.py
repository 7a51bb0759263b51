"""Queries of broadcasts: one locked while its report is sent; an event's broadcasts and their deliveries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, BroadcastState, OutboxMessage


async def locked(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite's one writer
    already serialises, and SQLAlchemy leaves the clause out there), so two workers never both send its report."""
    return await session.get(Broadcast, broadcast_id, with_for_update=True)


async def confirmed_of(session: AsyncSession, event_id: int, *, except_audience_prefix: str) -> Sequence[Broadcast]:
    """The event's confirmed broadcasts, newest first, leaving out those whose audience starts with the prefix."""
    query = (
        select(Broadcast)
        .where(
            Broadcast.event_id == event_id,
            Broadcast.state == BroadcastState.CONFIRMED,
            ~Broadcast.audience.startswith(except_audience_prefix),
        )
        .order_by(Broadcast.id.desc())
    )
    return (await session.scalars(query)).all()


async def delivery_tallies(session: AsyncSession, event_id: int) -> dict[int, dict[str, int]]:
    """For each of the event's broadcasts, how many of its messages are in each outbox status; the organiser's
    own progress message is not counted (it is not a delivery to a member)."""
    rows = await session.execute(
        select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
        .where(
            OutboxMessage.event_id == event_id,
            OutboxMessage.broadcast_id.is_not(None),
            OutboxMessage.key.not_like("%:progress"),
        )
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for broadcast_id, status, number in rows.all():
        if broadcast_id is not None:
            counts[broadcast_id][status] = number
    return dict(counts)
