"""Inbound: updates recorded in the inbox before they are acknowledged, handled by whichever replica claims them.

An adapter records what a platform delivered (``record``) and only then acknowledges it; the worker claims the
recorded updates (the oldest unfinished one of each chat, so a chat's updates keep their order) and handles up
to ``concurrency`` of them at once, each from a different chat: a member's command never waits behind an
organiser's round in another chat. It renews each lease while the adapter's handler works, and marks the row
handled. The mark is written by the
handler inside the core's own transaction (``Completion``), so an update's effects and "handled" commit together:
a replica killed mid-update leaves a row whose lease runs out and which another replica handles, for the first
time as far as the database is concerned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import ClaimLost
from storage import inbox
from storage.database import Database
from storage.inbox import ClaimedUpdate, NewUpdate

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=6)  # renewed every third of it
DEFAULT_CONCURRENCY = 16  # updates of different chats handled at once by one replica


class Completion:
    """Marks one claimed update handled, inside whichever transaction the handler passes in."""

    def __init__(self, update: ClaimedUpdate, worker_id: str, clock: Clock) -> None:
        self.update = update
        self.worker_id = worker_id
        self.clock = clock
        self.done = False

    async def __call__(self, session: AsyncSession) -> None:
        if not await inbox.complete(session, self.update.id, self.worker_id, self.clock.now()):
            raise ClaimLost(f"inbox row {self.update.id} was taken over by another worker")
        self.done = True


Handler = Callable[[ClaimedUpdate, Completion], Awaitable[None]]


class Inbound:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        lease: timedelta = DEFAULT_LEASE,
        worker_id: str | None = None,
        idle_seconds: float = 1.0,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.database = database
        self.clock = clock
        self.lease = lease
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.idle_seconds = idle_seconds
        self.concurrency = max(1, concurrency)
        self.handlers: dict[str, Handler] = {}
        self._arrived = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_hand = 0  # updates being handled (their answers may still be going out after the commit)

    def register(self, platform: str, handler: Handler) -> None:
        self.handlers[platform] = handler

    async def record(self, updates: Collection[NewUpdate]) -> int:
        """Commit the updates (duplicates dropped by their platform id); the caller acknowledges after this."""
        async with self.database.transaction() as session:
            new = await inbox.record(session, updates, self.clock.now())
        if new:
            self._arrived.set()
        return new

    async def run_once(self) -> int:
        """Handle every update that is ready now, up to ``concurrency`` at a time (one per chat); returns how
        many were handled. When stopping it takes no more and finishes those in hand."""
        async with self.database.transaction() as session:
            released = await inbox.release_expired(session, self.clock.now())
        if released:
            log.warning("inbox updates of a worker that stopped renewing taken back", extra={"count": released})
        in_hand: set[asyncio.Task[None]] = set()
        handled = 0
        try:
            while not self._stopping.is_set():
                self._arrived.clear()  # before claiming: whatever arrives after the claim wakes the wait below
                free = self.concurrency - len(in_hand)
                if free > 0:
                    async with self.database.transaction() as session:
                        claimed = await inbox.claim_next(
                            session, self.clock.now(), self.handlers.keys(), self.worker_id, self.lease, limit=free
                        )
                    in_hand.update(asyncio.create_task(self._handle(update)) for update in claimed)
                if not in_hand:
                    return handled
                arrival = asyncio.create_task(self._arrived.wait())
                done, _ = await asyncio.wait({*in_hand, arrival}, return_when=asyncio.FIRST_COMPLETED)
                arrival.cancel()
                finished = done - {arrival}
                handled += len(finished)
                in_hand -= finished
        finally:
            if in_hand:  # stopping (or cancelled): the updates in hand are finished, not dropped
                await asyncio.gather(*in_hand, return_exceptions=True)
                handled += len(in_hand)
        return handled

    async def _handle(self, update: ClaimedUpdate) -> None:
        completion = Completion(update, self.worker_id, self.clock)
        renewing = asyncio.create_task(self._renew(update, completion))
        self._in_hand += 1
        try:
            await self.handlers[update.platform](update, completion)
        except ClaimLost:
            log.warning("inbox update taken over by another worker", extra={"inbox_id": update.id})
            return
        except Exception:
            log.exception("inbox update could not be handled", extra={"inbox_id": update.id})
        finally:
            self._in_hand -= 1
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        if not completion.done:  # nothing for the core to change (or it refused): the mark goes on its own
            async with self.database.transaction() as session:
                with contextlib.suppress(ClaimLost):
                    await completion(session)

    async def _renew(self, update: ClaimedUpdate, completion: Completion) -> None:
        """Keep the lease while the handler works: only a dead worker's rows are ever taken back."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with self.database.transaction() as session:
                ours = await inbox.renew(session, update.id, self.worker_id, self.clock.now() + self.lease)
            if not ours and not completion.done:
                log.warning("lost the lease on an inbox update", extra={"inbox_id": update.id})
                return

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run_forever())

    async def stop(self) -> None:
        """Finish the updates in hand, take no more (they stay recorded for the next replica)."""
        self._stopping.set()
        self._arrived.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def idle(self) -> None:
        """Wait until nothing recorded is left to handle (callers bound it with asyncio.timeout)."""
        while True:
            async with self.database.read() as session:
                if not self._in_hand and not await inbox.pending(session):
                    return
            self._arrived.set()
            await asyncio.sleep(0.02)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run_forever(self) -> None:
        while not self._stopping.is_set():
            self._arrived.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("inbox round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=self.idle_seconds)
