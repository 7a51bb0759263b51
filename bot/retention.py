"""Retention of the inbox: handled updates are deleted once no platform can deliver them again.

The inbox's unique key on the platform's update id is what drops a platform's retry of an update, so a handled
row must outlive every retry. Telegram keeps an undelivered update for at most 24 hours (a webhook that failed,
or long polling whose offset was not confirmed), and Slack retries an event three times within minutes. Rows
are kept ``KEEP_HANDLED`` (24 h, with an hour to spare) after they were handled, then deleted in bounded
batches, each its own short transaction, so a large backlog never holds locks for long. Any replica may run
it, several at once: they skip each other's rows.

Sent outbox rows are kept: their keys are what makes enqueueing idempotent (a campaign step queued again must
not send again), and stats, broadcast reports and the dashboard count them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from storage import inbox
from storage.database import Database

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(hours=25)  # Telegram's 24 h for an undelivered update, plus an hour
BATCH = 500  # rows per transaction
MAX_BATCHES = 20  # per call: a backlog is worked off over a few ticks, never in one long call


async def prune_inbox(
    database: Database,
    clock: Clock,
    *,
    keep: timedelta = KEEP_HANDLED,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
) -> int:
    """Delete handled inbox rows older than ``keep``; returns how many were deleted."""
    deleted = 0
    for _ in range(max_batches):
        async with database.transaction() as session:
            gone = await inbox.delete_handled(session, clock.now() - keep, batch)
        deleted += gone
        if gone < batch:
            break
    if deleted:
        log.info("handled inbox rows deleted", extra={"rows": deleted, "older_than_hours": keep / timedelta(hours=1)})
    return deleted
