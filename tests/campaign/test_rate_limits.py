"""Per-platform limits on a manual clock: chats are deferred, the platform as a whole is paced."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.delivery import Delivery
from bot.ratelimit import TELEGRAM_LIMITS, Limiter
from storage.database import Database
from storage.models import OutboxMessage
from storage.outbox import NewMessage, enqueue
from tests.fakes import RecordingPlatform

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PAYLOAD = {"lines": [[{"t": "hi", "s": "plain"}]], "buttons": []}


def test_windows_of_telegram() -> None:
    limiter = Limiter({"telegram": TELEGRAM_LIMITS})
    now = NOW
    for _ in range(30):
        assert limiter.overall_wait("telegram", now) == 0
        limiter.record("telegram", f"chat{_}", False, now)
    assert limiter.overall_wait("telegram", now) == 1.0  # the 31st waits for the window to move
    assert limiter.chat_wait("telegram", "chat0", False, now + timedelta(milliseconds=400)) == 0.6
    assert limiter.chat_wait("telegram", "chat0", False, now + timedelta(seconds=1)) == 0
    for n in range(20):
        limiter.record("telegram", "-100group", True, now + timedelta(seconds=n))
    assert limiter.chat_wait("telegram", "-100group", True, now + timedelta(seconds=20)) == 40.0  # 20 per minute
    assert limiter.overall_wait("console", now) == 0  # no limits known: no waiting


async def test_delivery_defers_a_busy_chat_and_paces_the_platform(sqlite_database: Database) -> None:
    clock = ManualClock(NOW)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the worker's pause, on the manual clock
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    messages = [NewMessage(f"m{n}", "telegram", f"user{n}", PAYLOAD) for n in range(45)]
    messages += [NewMessage(f"again{n}", "telegram", "user0", PAYLOAD) for n in range(3)]
    async with sqlite_database.transaction() as session:
        await enqueue(session, messages, NOW)
    platform = RecordingPlatform(platform="telegram")
    delivery = Delivery(
        sqlite_database, {"telegram": platform}, clock, limits={"telegram": TELEGRAM_LIMITS}, sleep=sleep
    )
    outcome = await delivery.run_once()
    assert outcome["sent"] == 46 and outcome["deferred"] >= 2  # user0's second and third must wait a second each
    assert slept and all(0 < s <= 1 for s in slept)
    times = {}
    async with sqlite_database.transaction() as session:
        for row in (await session.scalars(select(OutboxMessage).where(OutboxMessage.address == "user0"))).all():
            times[row.key] = row
    while any(row.status != "sent" for row in times.values()):
        clock.advance(timedelta(seconds=1))
        await delivery.run_once()
        async with sqlite_database.transaction() as session:
            times = {
                r.key: r
                for r in (await session.scalars(select(OutboxMessage).where(OutboxMessage.address == "user0"))).all()
            }
    sent_times = sorted(row.sent_at for row in times.values() if row.sent_at)
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(sent_times))
    assert len(platform.sent) == 48
