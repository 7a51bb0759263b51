"""Retention of the inbox, on SQLite and PostgreSQL: handled updates older than the window are deleted in bounded
batches, by any number of replicas at once; unhandled ones and recent ones (still deduplicating retries) stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.retention import KEEP_HANDLED, prune_inbox
from storage import inbox
from storage.database import Database
from storage.inbox import NewUpdate
from storage.models import InboxUpdate

LEASE = timedelta(seconds=10)


async def _handled(database: Database, clock: ManualClock, first: int, count: int) -> None:
    """Record ``count`` updates (each its own chat) and handle them at the clock's now."""
    updates = [NewUpdate("telegram", str(n), f"chat-{n}", {"update_id": n}) for n in range(first, first + count)]
    async with database.transaction() as session:
        assert await inbox.record(session, updates, clock.now()) == count
        claimed = await inbox.claim_next(session, clock.now(), ["telegram"], "w", LEASE, limit=count)
        assert len(claimed) == count
        for row in claimed:
            assert await inbox.complete(session, row.id, "w", clock.now())


async def _left(database: Database) -> dict[str, str]:
    async with database.read() as session:
        rows = await session.execute(select(InboxUpdate.external_id, InboxUpdate.status))
        return {external_id: status for external_id, status in rows.all()}


async def test_old_handled_updates_go_in_batches_the_rest_stay(database: Database, clock: ManualClock) -> None:
    await _handled(database, clock, 0, 7)  # handled long ago
    async with database.transaction() as session:  # recorded long ago, never handled (no replica runs Slack)
        await inbox.record(session, [NewUpdate("slack", "Ev100", "U100", {})], clock.now())
    clock.advance(KEEP_HANDLED - timedelta(hours=1))
    await _handled(database, clock, 200, 2)  # handled an hour before the window closes on the first ones
    clock.advance(timedelta(hours=1, seconds=1))
    assert await prune_inbox(database, clock, batch=3, max_batches=2) == 6  # bounded: two batches of three
    assert await prune_inbox(database, clock, batch=3) == 1
    assert await prune_inbox(database, clock, batch=3) == 0
    assert await _left(database) == {"Ev100": "queued", "200": "done", "201": "done"}
    async with database.transaction() as session:  # a late retry of a kept update is still dropped by its key
        assert await inbox.record(session, [NewUpdate("telegram", "201", "chat-201", {})], clock.now()) == 0


async def test_replicas_pruning_at_once_delete_each_row_once(database: Database, clock: ManualClock) -> None:
    await _handled(database, clock, 0, 300)
    clock.advance(KEEP_HANDLED + timedelta(seconds=1))
    replicas = [Database(database.url) for _ in range(3)] if not database.is_sqlite else [database] * 3
    try:
        deleted = await asyncio.gather(*(prune_inbox(replica, clock, batch=20) for replica in replicas))
    finally:
        if not database.is_sqlite:
            for replica in replicas:
                await replica.dispose()
    assert sum(deleted) == 300
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
