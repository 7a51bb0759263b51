"""The holdout at scale: what an organiser waits for, and what it adds to a round's pool. Prints the figures.

    python -m benchmarks.holdout [--members N] [--database-url URL]

An event of N members (bulk-inserted, with RSVPs and attendance answers) is given a 20 % holdout through
Core.handle; then /stats and /export are timed end to end, and the matcher's pool is loaded with and without
the holdout. Beside each, the event loop's lag: the worst delay of a 1 ms ticker while the command ran.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import insert, select

from benchmarks.inbound import scratch_database
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.intros.candidates import load_pool
from bot.messages import Command, Sender
from storage.database import Database
from storage.models import Event, Member, Participant

NOW = datetime(2026, 11, 23, tzinfo=UTC)
T = TypeVar("T")


async def timed(work: Callable[[], Awaitable[T]]) -> tuple[T, float, float]:
    """``work``'s result, its wall time and the loop's worst lag meanwhile (both in ms)."""
    lag = 0.0
    running = True

    async def ticker() -> None:
        nonlocal lag
        while running:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = max(lag, time.perf_counter() - t0 - 0.001)

    tick = asyncio.create_task(ticker())
    t0 = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - t0
    running = False
    await tick
    return result, elapsed * 1000, lag * 1000


async def populate(database: Database, event_id: int, members: int) -> None:
    rng = random.Random(3)
    async with database.transaction() as session:
        await session.execute(
            insert(Member),
            [
                {"platform": "console", "platform_user_id": f"m{n}", "display_name": f"M{n}", "created_at": NOW}
                for n in range(members)
            ],
        )
        ids = (await session.scalars(select(Member.id).where(Member.platform_user_id.like("m%")))).all()
        await session.execute(
            insert(Participant),
            [
                {
                    "event_id": event_id,
                    "member_id": member_id,
                    "joined_at": NOW,
                    "rsvp": rng.choice(["yes", "yes", "no", None]),
                    "attended": rng.choice(["yes", "yes", "no", None]),
                }
                for member_id in ids
            ],
        )


async def run(members: int, url: str | None) -> None:
    async with scratch_database(url) as database:
        core = Core(database, ManualClock(NOW), Policy(), rng=random.Random(1))
        organiser = Sender("console", "olivia", "Olivia")
        await core.handle(Command(organiser, "newevent", '"Bench" 2026-12-10 18:30 Europe/London'))
        async with database.transaction() as session:
            event = (await session.scalars(select(Event))).one()
        await populate(database, event.id, members)

        async def pool_size() -> int:
            async with database.transaction() as session:
                loaded = await session.get(Event, event.id)
                assert loaded is not None
                return len((await load_pool(session, loaded, NOW)).members)

        before, pool_ms, pool_lag = await timed(pool_size)
        _, rule_ms, rule_lag = await timed(lambda: core.handle(Command(organiser, "rules", "holdout 20")))
        after, held_pool_ms, held_pool_lag = await timed(pool_size)
        stats, stats_ms, stats_lag = await timed(lambda: core.handle(Command(organiser, "stats")))
        exported, export_ms, export_lag = await timed(lambda: core.handle(Command(organiser, "export")))
    assert "Do introductions work?" in stats[0].message.plain_text(), stats[0].message.plain_text()
    print(f"holdout with {members:,} members on {database.engine.dialect.name} (times end to end, loop lag beside)")
    print(f"  /rules holdout 20 (draws everyone): {rule_ms:7.1f} ms, loop lag {rule_lag:6.1f} ms")
    print(f"  /stats with the holdout section:    {stats_ms:7.1f} ms, loop lag {stats_lag:6.1f} ms")
    print(f"  /export ({len(exported)} message(s)):             {export_ms:7.1f} ms, loop lag {export_lag:6.1f} ms")
    print(f"  matcher's pool without the holdout: {pool_ms:7.1f} ms, loop lag {pool_lag:6.1f} ms ({before:,} members)")
    print(f"  matcher's pool with it:             {held_pool_ms:7.1f} ms, loop lag {held_pool_lag:6.1f} ms ({after:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.database_url))


if __name__ == "__main__":
    main()
