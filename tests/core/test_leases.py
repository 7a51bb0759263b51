"""Leases on outbox rows: renewed while a live worker sends, taken back from a dead one, and guarded by owner.

A worker whose lease ran out (here: its send blocked while the clock moved on, as in a long pause or a lost
database connection) must neither send a row another worker has taken over nor undo that worker's claim.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import select

from bot.clock import ManualClock
from bot.delivery import Delivery
from bot.messages import Address, Message, text
from bot.port import Delivered
from bot.ratelimit import RateLimits
from storage.database import Database
from storage.models import OutboxMessage
from storage.outbox import NewMessage, claim_due, enqueue, recover


@dataclass
class GatedPlatform:
    """Records sends; the first send to a gated address waits until the test opens the gate."""

    gated: set[str] = field(default_factory=set)
    sent: list[str] = field(default_factory=list)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: count[int] = field(default_factory=lambda: count(1))

    @property
    def name(self) -> str:
        return "console"

    @property
    def supports_group_dm(self) -> bool:
        return False

    async def send(self, address: Address, message: Message) -> Delivered:
        if address.user_id in self.gated:
            self.gated.discard(address.user_id)
            self.reached.set()
            await self.gate.wait()
        self.sent.append(address.user_id)
        return Delivered("console", address.user_id, str(next(self._ids)))

    async def edit(self, delivered: Delivered, message: Message) -> None:
        return None


async def _queue(database: Database, now: datetime, *rows: tuple[str, str]) -> None:
    payload = text("Doors open at 18:00").to_dict()
    messages = [
        NewMessage(f"note:{n}", "console", address, payload, address_kind=kind)
        for n, (address, kind) in enumerate(rows)
    ]
    async with database.transaction() as session:
        await enqueue(session, messages, now)


async def _rows(database: Database) -> dict[str, tuple[str, str | None]]:
    async with database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return {row.key: (row.status, row.claimed_by) for row in rows}


async def test_a_worker_whose_lease_ran_out_cannot_touch_rows_another_took(
    database: Database, clock: ManualClock
) -> None:
    await _queue(database, clock.now(), ("C1", "channel"), ("C1", "channel"), ("u2", "member"))
    slow = GatedPlatform(gated={"C1"})
    # One post per minute to the channel: the slow worker's second row to it is deferred, a write of its own.
    a = Delivery(
        database,
        {"console": slow},
        clock,
        worker_id="a",
        lease=timedelta(seconds=30),
        limits={"console": RateLimits(per_group_per_minute=1)},
    )
    first = asyncio.create_task(a.run_once(batch=10))
    await slow.reached.wait()  # a holds all three rows and is stuck sending note:0
    clock.advance(timedelta(seconds=31))  # its lease has run out, unrenewed (its renewal comes every 10 s)
    other = GatedPlatform(gated={"C1"})
    b = Delivery(database, {"console": other}, clock, worker_id="b")
    second = asyncio.create_task(b.run_once(batch=10))
    await other.reached.wait()  # b took note:1 and note:2 back and is sending note:1
    slow.gate.set()
    await first  # a finishes note:0, then meets note:1 (deferred by its limiter) and note:2
    assert await _rows(database) == {
        "note:0": ("sent", "a"),  # a's own send, which did reach the platform
        "note:1": ("sending", "b"),  # not put back in the queue under b's feet
        "note:2": ("claimed", "b"),  # not sent by a
    }
    other.gate.set()
    await second
    assert slow.sent == ["C1"] and sorted(other.sent) == ["C1", "u2"]  # each row sent once
    assert {status for status, _ in (await _rows(database)).values()} == {"sent"}


async def test_a_live_slow_worker_keeps_its_rows(database: Database, clock: ManualClock) -> None:
    await _queue(database, clock.now(), ("u1", "member"))
    slow = GatedPlatform(gated={"u1"})
    lease = timedelta(seconds=0.6)  # renewed every 0.2 s of real time, to the clock's now + 0.6 s
    a = Delivery(database, {"console": slow}, clock, worker_id="a", lease=lease)
    first = asyncio.create_task(a.run_once())
    await slow.reached.wait()
    clock.advance(timedelta(seconds=0.4))
    renewed = clock.now() + lease
    async with asyncio.timeout(30):
        while (await _lease(database)) != renewed:  # noqa: ASYNC110 (the renewal task of the worker)
            await asyncio.sleep(0.05)
    clock.advance(timedelta(seconds=0.4))  # past the first lease, within the renewed one
    other = GatedPlatform()
    b = Delivery(database, {"console": other}, clock, worker_id="b")
    assert await b.run_once() == {k: 0 for k in ("sent", "unreachable", "failed", "uncertain", "retrying", "deferred")}
    slow.gate.set()
    assert (await first)["sent"] == 1
    assert slow.sent == ["u1"] and other.sent == []
    assert await _rows(database) == {"note:0": ("sent", "a")}


async def _lease(database: Database) -> datetime | None:
    async with database.transaction() as session:
        return await session.scalar(select(OutboxMessage.lease_until))


async def _lease_of(database: Database, key: str) -> datetime | None:
    async with database.read() as session:
        return await session.scalar(select(OutboxMessage.lease_until).where(OutboxMessage.key == key))


async def test_a_stuck_worker_renews_only_its_own_rows_not_one_another_took(
    database: Database, clock: ManualClock
) -> None:
    """A worker stuck on one send keeps renewing the rows of its batch. One that another worker took over is that
    worker's to keep: if it dies too, the row must come back when its lease runs out, not be kept alive by the
    stuck worker's renewals."""
    await _queue(database, clock.now(), ("u1", "member"), ("u2", "member"))
    stuck = GatedPlatform(gated={"u1"})
    a = Delivery(database, {"console": stuck}, clock, worker_id="a", lease=timedelta(seconds=3))  # renewed each 1 s
    first = asyncio.create_task(a.run_once(batch=10))
    await stuck.reached.wait()
    clock.advance(timedelta(seconds=0.5))
    claimed = await _lease_of(database, "note:1")
    async with asyncio.timeout(30):
        while await _lease_of(database, "note:1") == claimed:  # noqa: ASYNC110 (a's renewal task)
            await asyncio.sleep(0.02)
    clock.advance(timedelta(seconds=10))  # a renewal just went by; before the next, a's leases have run out
    async with database.transaction() as session:  # worker b takes u2 back, then dies
        await recover(session, clock.now(), expired_only=True)
        [taken] = await claim_due(session, clock.now(), 10, ["console"], "b", timedelta(seconds=6))
    assert taken.address == "u2"
    clock.advance(timedelta(seconds=7))  # past b's lease as well
    await asyncio.sleep(1.5)  # a's renewals go on meanwhile
    other = GatedPlatform()
    c = Delivery(database, {"console": other}, clock, worker_id="c")
    assert (await c.run_once())["sent"] == 1  # b's row came back
    assert other.sent == ["u2"]
    stuck.gate.set()
    await first
    assert stuck.sent == ["u1"]


async def test_a_graceful_stop_finishes_the_send_in_hand_and_hands_back_the_rest(
    database: Database, clock: ManualClock
) -> None:
    await _queue(database, clock.now(), ("u1", "member"), ("u2", "member"), ("u3", "member"))
    platform = GatedPlatform(gated={"u1"})
    a = Delivery(database, {"console": platform}, clock, worker_id="a")
    running = asyncio.create_task(a.run_once(batch=10))
    await platform.reached.wait()  # sending note:0, holding note:1 and note:2
    a.stop()  # SIGTERM
    platform.gate.set()
    assert (await running)["sent"] == 1
    assert platform.sent == ["u1"]
    assert await _rows(database) == {"note:0": ("sent", "a"), "note:1": ("queued", None), "note:2": ("queued", None)}
    b = Delivery(database, {"console": platform}, clock, worker_id="b")  # another replica, at once: no lease to wait
    assert (await b.run_once())["sent"] == 2
    assert sorted(platform.sent) == ["u1", "u2", "u3"]


@dataclass
class SlowClockPlatform(GatedPlatform):
    """Each send takes ``step`` of the test's clock (a long broadcast, compressed)."""

    clock: ManualClock | None = None
    step: timedelta = timedelta(seconds=4)

    async def send(self, address: Address, message: Message) -> Delivered:
        assert self.clock is not None
        self.clock.advance(self.step)
        return await super().send(address, message)


async def test_a_dead_workers_rows_come_back_during_a_long_broadcast_not_after_it(
    database: Database, clock: ManualClock
) -> None:
    await _queue(database, clock.now(), *((f"u{n}", "member") for n in range(12)))
    async with database.transaction() as session:  # a replica claims the first three rows and dies
        await claim_due(session, clock.now(), 3, ["console"], "dead", timedelta(seconds=6))
    platform = SlowClockPlatform(clock=clock)
    b = Delivery(database, {"console": platform}, clock, worker_id="b", lease=timedelta(minutes=5))
    assert (await b.run_once(batch=2))["sent"] == 12  # one call: the dead rows were taken back along the way
    assert platform.sent.index("u0") < len(platform.sent) - 1  # ...before the queue ran dry, not after it
