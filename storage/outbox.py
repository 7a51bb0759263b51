"""The durable outbox: enqueue exactly once per key, take back what is still queued, claim due rows, record
outcomes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus
from storage.upsert import insert_skipping_existing


@dataclass(frozen=True, slots=True)
class NewMessage:
    key: str
    platform: str
    address: str
    payload: dict[str, Any]
    member_id: int | None = None
    event_id: int | None = None
    address_kind: str = "member"
    not_before: datetime | None = None
    broadcast_id: int | None = None


BATCH = 500  # rows per statement: each batch is one await, so a large enqueue never holds the loop for long


def _row(message: NewMessage, now: datetime) -> dict[str, Any]:
    return {
        "key": message.key,
        "platform": message.platform,
        "address": message.address,
        "address_kind": message.address_kind,
        "payload": message.payload,
        "member_id": message.member_id,
        "event_id": message.event_id,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "not_before": message.not_before or now,
        "broadcast_id": message.broadcast_id,
        "created_at": now,
    }


async def enqueue(session: AsyncSession, messages: Sequence[NewMessage], now: datetime) -> int:
    """Insert the messages whose key is new; an existing key is left alone. Returns how many were new."""
    statement = insert_skipping_existing(session, OutboxMessage, ("key",)).returning(OutboxMessage.id)
    new = 0
    for start in range(0, len(messages), BATCH):
        rows = [_row(m, now) for m in messages[start : start + BATCH]]
        new += len((await session.execute(statement, rows)).all())
    return new


async def hold(
    session: AsyncSession, messages: Sequence[NewMessage], now: datetime, worker_id: str, lease: timedelta
) -> dict[str, int]:
    """Insert messages already claimed by ``worker_id`` (which sends them itself, at once); returns the new
    rows' ids by key. If that worker dies before sending, its lease runs out and recovery queues them for any
    worker, as for any claimed row."""
    if not messages:
        return {}
    held = {"status": OutboxStatus.CLAIMED, "attempts": 1, "claimed_by": worker_id, "lease_until": now + lease}
    statement = insert_skipping_existing(session, OutboxMessage, ("key",)).returning(
        OutboxMessage.key, OutboxMessage.id
    )
    rows = [_row(m, now) | held for m in messages]
    return {key: row_id for key, row_id in (await session.execute(statement, rows)).all()}


async def settle(session: AsyncSession, row_id: int, worker_id: str, values: dict[str, Any]) -> bool:
    """Record a send's outcome, only while the row is still this worker's (another's outcome wins)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker_id)
        .values(**values, lease_until=None)
        .returning(OutboxMessage.id)
    )
    return result.first() is not None


async def withdraw_queued(session: AsyncSession, keys: Collection[str]) -> None:
    """Delete the messages with these keys that are still queued (one claimed or sent is left alone)."""
    if keys:
        await _withdraw(session, OutboxMessage.key.in_(list(keys)))


async def withdraw_queued_starting(session: AsyncSession, prefix: str) -> None:
    """Delete the still-queued messages whose key starts with ``prefix`` (everything queued for one thing)."""
    await _withdraw(session, OutboxMessage.key.startswith(prefix, autoescape=True))


async def _withdraw(session: AsyncSession, keys: ColumnElement[bool]) -> None:
    await session.execute(delete(OutboxMessage).where(keys, OutboxMessage.status == OutboxStatus.QUEUED))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending, detached from the session that claimed it."""

    id: int
    platform: str
    address: str
    address_kind: str
    payload: dict[str, Any]
    member_id: int | None
    event_id: int | None
    attempts: int
    broadcast_id: int | None


async def claim_due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    platforms: Collection[str],
    worker_id: str,
    lease: timedelta,
) -> list[Claimed]:
    """Mark up to ``limit`` due rows as sending and return them.

    On PostgreSQL, ``FOR UPDATE SKIP LOCKED`` lets several workers claim without taking the same row (SQLite
    has no row locks, and SQLAlchemy leaves the clause out there: its one writer already serialises claims).
    """
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.not_before <= now,
            OutboxMessage.platform.in_(list(platforms)),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.scalars(query)).all()
    for row in rows:
        row.status = OutboxStatus.CLAIMED
        row.attempts += 1
        row.claimed_by = worker_id
        row.lease_until = now + lease
    return [
        Claimed(
            r.id, r.platform, r.address, r.address_kind, r.payload, r.member_id, r.event_id, r.attempts, r.broadcast_id
        )
        for r in rows
    ]


async def start_sending(session: AsyncSession, row_id: int, worker_id: str, lease_until: datetime) -> bool:
    """Mark a claimed row as handed to the platform; False if the claim was lost (its lease expired)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.CLAIMED,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(status=OutboxStatus.SENDING, lease_until=lease_until)
        .returning(OutboxMessage.id)
    )
    return result.first() is not None


async def renew(session: AsyncSession, row_ids: Collection[int], worker_id: str, lease_until: datetime) -> int:
    """Extend the lease on the rows this worker still holds (claimed or mid-send); returns how many it holds.
    A row another worker has taken over is left alone."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.claimed_by == worker_id,
            OutboxMessage.status.in_([OutboxStatus.CLAIMED, OutboxStatus.SENDING]),
        )
        .values(lease_until=lease_until)
        .returning(OutboxMessage.id)
    )
    return len(result.all())


async def hand_back(session: AsyncSession, row_ids: Collection[int], worker_id: str) -> int:
    """Rows this worker claimed but will not send (it is shutting down): back to the queue, at once."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.claimed_by == worker_id,
            OutboxMessage.status == OutboxStatus.CLAIMED,
        )
        .values(status=OutboxStatus.QUEUED, claimed_by=None, lease_until=None, attempts=OutboxMessage.attempts - 1)
        .returning(OutboxMessage.id)
    )
    return len(result.all())


async def recover(session: AsyncSession, now: datetime, *, expired_only: bool) -> list[int]:
    """Rows of a worker that died. Claimed but never sent: back to the queue. Mid-send: we cannot know whether
    they arrived, so they become 'uncertain' and are never re-sent. Returns the ids that became uncertain."""

    def orphaned(status: OutboxStatus) -> Any:
        query = update(OutboxMessage).where(OutboxMessage.status == status)
        return query.where(OutboxMessage.lease_until < now) if expired_only else query

    await session.execute(
        orphaned(OutboxStatus.CLAIMED).values(
            status=OutboxStatus.QUEUED, claimed_by=None, attempts=OutboxMessage.attempts - 1
        )
    )
    result = await session.execute(
        orphaned(OutboxStatus.SENDING).values(status=OutboxStatus.UNCERTAIN).returning(OutboxMessage.id)
    )
    return [row_id for (row_id,) in result.all()]


async def recover_after_restart(session: AsyncSession, now: datetime) -> list[int]:
    """At start-up. SQLite serves one process, so every row left claimed or mid-send is orphaned; on PostgreSQL
    other replicas may be mid-send, so only rows whose lease has expired are taken."""
    single_process = session.get_bind().dialect.name == "sqlite"
    return await recover(session, now, expired_only=not single_process)
