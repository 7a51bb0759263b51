"""Delivery: claims due outbox rows and sends them through the platform that owns each recipient.

Each row is committed as 'sending' (with a lease) before the API call and as its outcome after it, so a crash
between the two leaves a row that recovery marks 'uncertain' instead of sending it a second time.

Leases are short and renewed while a batch is worked on, so a dead replica's rows are taken back within seconds
while a live, slow one keeps its own. Every write after the claim is guarded by ``claimed_by``: a worker whose
lease ran out (paused, cut off from the database) can neither start sending a row another worker took over nor
overwrite that worker's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update

from bot.broadcast_progress import update_progress
from bot.budget import SharedBudget
from bot.clock import Clock
from bot.delivery_outcomes import Outcome, Result, apply_consequences, classify
from bot.errors import DeliveryError
from bot.messages import Address, Message
from bot.port import Paced, Platform
from bot.ratelimit import Limiter, RateLimits
from storage import outbox
from storage.database import Database
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import Claimed

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=6)  # renewed every third of it: a dead worker's rows are free within ~6 s
Sleep = Callable[[float], Awaitable[None]]


class Delivery:
    def __init__(
        self,
        database: Database,
        platforms: Mapping[str, Platform],
        clock: Clock,
        *,
        limits: Mapping[str, RateLimits] | None = None,
        sleep: Sleep = asyncio.sleep,
        lease: timedelta = DEFAULT_LEASE,
        worker_id: str | None = None,
        budget: SharedBudget | None = None,
    ) -> None:
        """``budget``: the send budget shared by every replica (production); without it, ``limits`` are kept
        per process, on ``clock`` (tests that move time themselves)."""
        self.database = database
        self.platforms = platforms
        self.clock = clock
        self.limiter = Limiter(dict(limits or {}))
        self.sleep = sleep
        self.lease = lease
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.budget = budget
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        """Graceful shutdown: the send in progress finishes, the batch's other rows go back to the queue (for
        another replica, or this one's successor) and ``run_once`` returns."""
        self.stopping.set()

    async def recover(self) -> int:
        """Rows of a dead process: claimed ones go back to the queue; ones mid-send become 'uncertain'."""
        async with self.database.transaction() as session:
            uncertain = await outbox.recover_after_restart(session, self.clock.now())
        self._log_uncertain(uncertain, "its worker stopped while sending")
        return len(uncertain)

    def _log_uncertain(self, row_ids: list[int], why: str) -> None:
        """One line per row, from whichever replica marks it: operators see each message that may be missing."""
        for row_id in row_ids:
            log.warning("outbox row marked uncertain: %s", why, extra={"outbox_id": row_id, "worker": self.worker_id})

    async def run_once(self, batch: int = 50) -> dict[Outcome, int]:
        """Send every row that is due now; returns how many ended in each outcome."""
        totals: dict[Outcome, int] = {
            "sent": 0,
            "unreachable": 0,
            "failed": 0,
            "uncertain": 0,
            "retrying": 0,
            "deferred": 0,
        }
        while not self.stopping.is_set():
            # Before every batch, not once per call: a call lasts as long as the queue does (a whole broadcast),
            # and a dead replica's rows must come back within a lease, not when the broadcast is over.
            async with self.database.transaction() as session:
                orphaned = await outbox.recover(session, self.clock.now(), expired_only=True)
            self._log_uncertain(orphaned, "its worker's lease ran out while sending")
            async with self.database.transaction() as session:
                rows = await outbox.claim_due(
                    session, self.clock.now(), batch, self.platforms.keys(), self.worker_id, self.lease
                )
            if not rows:
                return totals
            broadcasts: set[int] = set()
            renewing = asyncio.create_task(self._renew([row.id for row in rows]))
            try:
                for number, row in enumerate(rows):
                    if self.stopping.is_set():
                        async with self.database.transaction() as session:
                            await outbox.hand_back(session, [r.id for r in rows[number:]], self.worker_id)
                        break
                    totals[await self._send_one(row)] += 1
                    if row.broadcast_id is not None:
                        broadcasts.add(row.broadcast_id)
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            for broadcast_id in sorted(broadcasts):
                await update_progress(self.database, self.platforms, broadcast_id, self.clock.now())
        return totals

    async def _renew(self, row_ids: list[int]) -> None:
        """Keep the batch's leases while this worker is alive (real time: the lease guards against real deaths)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.database.transaction() as session:
                    await outbox.renew(session, row_ids, self.worker_id, self.clock.now() + self.lease)
            except Exception:
                log.warning("could not renew outbox leases", exc_info=True)

    async def _send_one(self, row: Claimed) -> Outcome:
        kind: Literal["member", "channel", "group"] = (
            "channel" if row.address_kind == "channel" else "group" if row.address_kind == "group" else "member"
        )
        is_group = kind == "channel"
        if self.budget is not None:
            slot = await self.budget.reserve(row.platform, row.address, is_group, wait_for_chat=False)
            if slot.deferred_until is not None:  # the chat's turn is later: send others meanwhile
                # The budget keeps real time; rows are due on this worker's clock (a test's may be elsewhere).
                later = max(slot.deferred_until - self.budget.now(), timedelta(0))
                return await self._record(row, self._deferred(row, self.clock.now() + later))
            if slot.wait > 0:
                await self.sleep(slot.wait)
        else:
            chat_wait = self.limiter.chat_wait(row.platform, row.address, is_group, self.clock.now())
            if chat_wait > 0:
                return await self._record(row, self._deferred(row, self.clock.now() + timedelta(seconds=chat_wait)))
            overall_wait = self.limiter.overall_wait(row.platform, self.clock.now())
            if overall_wait > 0:
                await self.sleep(overall_wait)
            self.limiter.record(row.platform, row.address, is_group, self.clock.now())
        platform = self.platforms[row.platform]
        address, message = Address(row.platform, row.address, kind), Message.from_dict(row.payload)
        if isinstance(platform, Paced):  # the platform's own limits (Slack's per-method tiers), before 'sending'
            try:
                turn = await platform.turn(address, message)
            except DeliveryError as error:  # anything else (the database) fails the round; the lease brings it back
                return await self._record(row, classify(row, error, self.clock.now()))
            if turn > 0:
                await self.sleep(turn)
        async with self.database.transaction() as session:
            if not await outbox.start_sending(session, row.id, self.worker_id, self.clock.now() + self.lease):
                return "deferred"  # our lease ran out and the row was given to another worker
        try:
            delivered = await platform.send(address, message)
        except Exception as error:
            result = classify(row, error, self.clock.now())
            if result.outcome == "failed" and not result.expected:
                log.exception("send failed unexpectedly", extra={"outbox_id": row.id})
        else:
            sent = {
                "status": OutboxStatus.SENT,
                "sent_at": self.clock.now(),
                "platform_message_id": delivered.message_id,
            }
            result = Result("sent", sent)
        return await self._record(row, result)

    @staticmethod
    def _deferred(row: Claimed, until: datetime) -> Result:
        return Result("deferred", {"status": OutboxStatus.QUEUED, "attempts": row.attempts - 1, "not_before": until})

    async def _record(self, row: Claimed, result: Result) -> Outcome:
        values = {**result.values, "lease_until": None}
        async with self.database.transaction() as session:
            # Only while the row is still ours: if our lease ran out and another worker took it, its outcome wins.
            mine = (OutboxMessage.id == row.id) & (OutboxMessage.claimed_by == self.worker_id)
            await session.execute(update(OutboxMessage).where(mine).values(**values))
            await apply_consequences(session, row, result, self.clock.now())
        if result.outcome == "uncertain":
            self._log_uncertain([row.id], "the platform may have received it (" + str(values.get("error")) + ")")
        return result.outcome
