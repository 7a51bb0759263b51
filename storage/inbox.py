"""The durable inbox: record an update once per platform id, claim it under a lease, mark it handled.

An update is recorded (and committed) before the platform is told it arrived, so a crash after the
acknowledgement loses nothing: any replica claims the row. Claims follow the outbox's rules: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, a lease that the handling worker renews, and every later write guarded by
``claimed_by`` so a worker whose lease ran out cannot overwrite the outcome of the worker that took over.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxStatus, InboxUpdate
from storage.upsert import insert_skipping_existing


@dataclass(frozen=True, slots=True)
class NewUpdate:
    platform: str
    external_id: str
    chat: str  # the conversation whose updates must be handled in order
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClaimedUpdate:
    id: int
    platform: str
    external_id: str
    chat: str
    payload: dict[str, Any]
    attempts: int


async def record(session: AsyncSession, updates: Collection[NewUpdate], now: datetime) -> int:
    """Insert the updates whose (platform, id) is new; a duplicate is dropped. Returns how many were new."""
    if not updates:
        return 0
    statement = insert_skipping_existing(session, InboxUpdate, ("platform", "external_id")).returning(InboxUpdate.id)
    rows = [
        {
            "platform": u.platform,
            "external_id": u.external_id,
            "chat": u.chat,
            "payload": u.payload,
            "status": InboxStatus.QUEUED,
            "attempts": 0,
            "received_at": now,
        }
        for u in updates
    ]
    return len((await session.execute(statement, rows)).all())


async def claim_next(
    session: AsyncSession, now: datetime, platforms: Collection[str], worker_id: str, lease: timedelta, limit: int = 1
) -> list[ClaimedUpdate]:
    """Claim up to ``limit`` queued updates, each the oldest unfinished one of its chat (so one chat's updates
    are handled one after another, in the order they arrived, whichever replica takes them)."""
    earlier = aliased(InboxUpdate)
    blocked = exists().where(
        earlier.platform == InboxUpdate.platform,
        earlier.chat == InboxUpdate.chat,
        earlier.id < InboxUpdate.id,
        earlier.status != InboxStatus.DONE,
    )
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.QUEUED, InboxUpdate.platform.in_(list(platforms)), ~blocked)
        .order_by(InboxUpdate.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=InboxUpdate)
    )
    rows = (await session.scalars(query)).all()
    for row in rows:
        row.status = InboxStatus.HANDLING
        row.attempts += 1
        row.claimed_by = worker_id
        row.lease_until = now + lease
    return [ClaimedUpdate(r.id, r.platform, r.external_id, r.chat, r.payload, r.attempts) for r in rows]


def _mine(row_id: int, worker_id: str) -> Any:
    return (
        (InboxUpdate.id == row_id)
        & (InboxUpdate.status == InboxStatus.HANDLING)
        & (InboxUpdate.claimed_by == worker_id)
    )


async def renew(session: AsyncSession, row_id: int, worker_id: str, lease_until: datetime) -> bool:
    """Extend the lease of a row this worker is still handling; False if it is no longer ours."""
    result = await session.execute(
        update(InboxUpdate).where(_mine(row_id, worker_id)).values(lease_until=lease_until).returning(InboxUpdate.id)
    )
    return result.first() is not None


async def complete(session: AsyncSession, row_id: int, worker_id: str, now: datetime) -> bool:
    """Mark the row handled, only while it is still ours. Called inside the transaction that applies the
    update's effects, so the effects and the mark commit together (or not at all)."""
    result = await session.execute(
        update(InboxUpdate)
        .where(_mine(row_id, worker_id))
        .values(status=InboxStatus.DONE, handled_at=now, lease_until=None)
        .returning(InboxUpdate.id)
    )
    return result.first() is not None


async def release_expired(session: AsyncSession, now: datetime) -> int:
    """Rows whose worker stopped renewing (it died): back to the queue for any worker. Their effects never
    committed (the mark commits with them), so handling them again is the first time they take effect."""
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.HANDLING, InboxUpdate.lease_until < now)
        .values(status=InboxStatus.QUEUED, claimed_by=None, lease_until=None)
        .returning(InboxUpdate.id)
    )
    return len(result.all())


async def hand_back(session: AsyncSession, row_id: int, worker_id: str) -> bool:
    """A worker shutting down returns a row it has not started on."""
    result = await session.execute(
        update(InboxUpdate)
        .where(_mine(row_id, worker_id))
        .values(status=InboxStatus.QUEUED, claimed_by=None, lease_until=None, attempts=InboxUpdate.attempts - 1)
        .returning(InboxUpdate.id)
    )
    return result.first() is not None


async def pending(session: AsyncSession) -> int:
    """Updates recorded but not yet handled."""
    rows = await session.scalars(select(InboxUpdate.id).where(InboxUpdate.status != InboxStatus.DONE))
    return len(rows.all())


async def delete_handled(session: AsyncSession, handled_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows handled before ``handled_before``, oldest first; returns how many went.

    Only handled rows: one still queued or being handled is never touched. ``SKIP LOCKED`` on PostgreSQL: two
    replicas pruning at once take different rows instead of waiting for each other (SQLite's single writer
    serialises them). Once a row is gone its platform id can be recorded again, so the caller keeps rows for
    longer than the platform retries an update.
    """
    doomed = (
        select(InboxUpdate.id)
        .where(InboxUpdate.status == InboxStatus.DONE, InboxUpdate.handled_at < handled_before)
        .order_by(InboxUpdate.handled_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.id.in_(doomed.scalar_subquery())).returning(InboxUpdate.id),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())
