"""The SQLite driver choice, measured: aiosqlite through SQLAlchemy's dialect against one unit of work per
incoming event on a dedicated database thread (a sync Session).

    python -m benchmarks.sqlite_drivers [--answers N] [--members N]

Both run the same poll answer, one after another, on the same migrated file with the same pragmas: find the
member, check the option's event and membership, store the choice, read the keyboard back, commit.
- "aiosqlite": the product path, ``Core.handle(ButtonPress)`` on ``sqlite+aiosqlite`` (every cursor call is
  handed to aiosqlite's thread and back).
- "db thread": the same statements in a plain function of a sync ``Session`` (``sqlite+pysqlite``), one call
  per answer handed to a single database thread with ``run_in_executor``. Only this hot path is written for it:
  the rest of the bot would have to be rewritten as sync functions to run that way.
A probe task sleeps 10 ms at a time beside each run and records how late it wakes (the loop's lag).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from benchmarks.probe import LoopLag
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Button, ButtonPress, Command, Sender
from storage import interests
from storage import members as member_queries
from storage.database import Database
from storage.engine import begin_sqlite_transaction, configure_sqlite_connection
from storage.models import MemberInterest
from storage.upsert import insert_skipping_existing

OPTIONS = ["Python", "Recruiting", "Hiking", "Design", "Startups", "Data", "Coffee", "Music"]


def _unit_of_work(engine: Engine, user_id: str, value: str) -> int:
    """One poll answer as a sync unit of work: the statements Core.handle runs for it, then commit."""
    option_id_text, _, state = value.partition(".")
    option_id = int(option_id_text)
    with Session(engine) as session, session.begin():
        member = session.scalar(member_queries.BY_PLATFORM_ID, {"platform": "console", "user_id": user_id})
        assert member is not None
        found = session.execute(interests.OPTION_EVENT, {"member_id": member.id, "option_id": option_id}).first()
        assert found is not None
        if state == "1":
            session.execute(
                insert_skipping_existing(session, MemberInterest),
                {"member_id": member.id, "option_id": option_id},
            )
        else:
            session.execute(interests.CLEAR, {"member_id": member.id, "option_id": option_id})
        rows = session.execute(interests.OPTIONS_MARKED, {"member_id": member.id, "event_id": found[0]}).all()
        return len(rows)


async def run(answers: int, members: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        database = Database(f"sqlite:///{path}")
        await database.upgrade()
        core = Core(database, ManualClock(datetime(2026, 11, 23, tzinfo=UTC)), Policy(), rng=random.Random(1))
        organiser = Sender("console", "olivia", "Olivia")
        reply = await core.handle(Command(organiser, "newevent", '"Bench" 2026-12-10 18:30 Europe/London'))
        code = reply[0].message.plain_text().split("Join code: ")[1].split()[0]
        await core.handle(Command(organiser, "poll", ", ".join(OPTIONS)))
        people = [Sender("console", f"m{n}", f"Member {n}") for n in range(members)]
        buttons: list[tuple[Sender, Button]] = []
        for person in people:
            await core.handle(Command(person, "join", code))
            shown = await core.handle(Command(person, "interests"))
            buttons += [(person, b) for row in shown[0].message.buttons for b in row if b.action == "pick"]
        rng = random.Random(7)
        presses = [rng.choice(buttons) for _ in range(answers)]

        async def through_core() -> list[float]:
            latencies = []
            for person, button in presses:
                t0 = time.perf_counter()
                await core.handle(ButtonPress(person, button.action, button.value))
                latencies.append(time.perf_counter() - t0)
            return latencies

        sync_engine = create_engine(f"sqlite+pysqlite:///{path}", pool_size=1, max_overflow=0)
        event.listen(sync_engine, "connect", configure_sqlite_connection)
        event.listen(sync_engine, "begin", begin_sqlite_transaction)
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")

        async def on_db_thread() -> list[float]:
            loop = asyncio.get_running_loop()
            latencies = []
            for person, button in presses:
                t0 = time.perf_counter()
                await loop.run_in_executor(thread, _unit_of_work, sync_engine, person.user_id, button.value)
                latencies.append(time.perf_counter() - t0)
            return latencies

        for name, runner in (("aiosqlite (Core.handle)", through_core), ("db thread (sync Session)", on_db_thread)):
            async with LoopLag() as lag:
                started = time.perf_counter()
                latencies = await runner()
                elapsed = time.perf_counter() - started
            latencies.sort()
            print(
                f"  {name:26} {answers / elapsed:7,.0f} answers/s  p50 {statistics.median(latencies) * 1000:.2f} ms"
                f"  p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.2f} ms  loop lag max {lag.worst_ms:.1f} ms"
            )
        thread.shutdown()
        sync_engine.dispose()
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    print(f"SQLite drivers: {args.answers} poll answers from {args.members} members, one after another")
    asyncio.run(run(args.answers, args.members))


if __name__ == "__main__":
    main()
