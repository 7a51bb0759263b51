"""Inbound handling: a burst of 10,000 poll answers through the core. Prints throughput, latency and loop lag.

    python -m benchmarks.inbound [--answers N] [--members N] [--concurrency N] [--database-url URL]

Each answer is a real ButtonPress through Core.handle: one transaction that checks the member and the event,
stores the choice and re-renders the keyboard, exactly as an adapter would call it. By default answers are sent
one after another, so the throughput is the inverse of the mean latency; ``--concurrency N`` keeps N in flight
(as webhook handlers would), where latency includes waiting for the database. With a PostgreSQL URL the run
creates a scratch database next to the one named, and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from benchmarks.probe import LoopLag
from benchmarks.scratch import scratch_database
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Button, ButtonPress, Command, Sender
from storage.models import MemberInterest

OPTIONS = ["Python", "Recruiting", "Hiking", "Design", "Startups", "Data", "Coffee", "Music"]


async def run(answers: int, members: int, url: str | None, concurrency: int) -> None:
    async with scratch_database(url) as database:
        core = Core(database, ManualClock(datetime(2026, 11, 23, tzinfo=UTC)), Policy(), rng=random.Random(1))
        organiser = Sender("console", "olivia", "Olivia")
        reply = await core.handle(Command(organiser, "newevent", '"Bench" 2026-12-10 18:30 Europe/London'))
        code = reply[0].message.plain_text().split("Join code: ")[1].split()[0]
        await core.handle(Command(organiser, "poll", ", ".join(OPTIONS)))
        keyboards: dict[str, list[Button]] = {}
        people = [Sender("console", f"m{n}", f"Member {n}") for n in range(members)]
        for person in people:
            await core.handle(Command(person, "join", code))
            shown = await core.handle(Command(person, "interests"))
            keyboards[person.user_id] = [b for row in shown[0].message.buttons for b in row if b.action == "pick"]
        latencies: list[float] = []

        async def answer(lane: int) -> None:
            """One stream of presses; each member belongs to one lane, so their presses stay in order."""
            rng = random.Random(7 + lane)
            mine = people[lane::concurrency]
            for _ in range(answers // concurrency + (lane < answers % concurrency)):
                person = rng.choice(mine)
                button = rng.choice(keyboards[person.user_id])
                t0 = time.perf_counter()
                actions = await core.handle(ButtonPress(person, button.action, button.value))
                latencies.append(time.perf_counter() - t0)
                buttons = [b for row in actions[0].message.buttons for b in row if b.action == "pick"]
                if not buttons:
                    raise SystemExit(f"an answer was refused: {actions[0].message.plain_text()}")
                keyboards[person.user_id] = buttons

        async with LoopLag() as lag:
            started = time.perf_counter()
            await asyncio.gather(*(answer(lane) for lane in range(concurrency)))
            elapsed = time.perf_counter() - started
        # Fast only counts if nothing was lost: the database holds exactly what the last keyboards show.
        shown_selected = sum(b.value.endswith(".0") for buttons in keyboards.values() for b in buttons)
        async with database.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(MemberInterest))
        if stored != shown_selected:
            raise SystemExit(f"lost answers: {stored} stored, {shown_selected} shown as selected")
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    lanes = "one after another" if concurrency == 1 else f"{concurrency} at a time"
    print(f"inbound poll answers: {answers} from {members} members, {lanes}, on {database.engine.dialect.name}")
    goal = "≥500/s one after another on SQLite" if concurrency == 1 else "≥1,000/s with 32 in flight on PostgreSQL"
    print(f"  throughput: {answers / elapsed:,.0f} answers/s (goal {goal})")
    print(f"  stored choices: {stored}, as the members' last keyboards show")
    print(f"  latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 ≤50 ms), max {latencies[-1] * 1000:.1f} ms")
    print(
        f"  loop lag (a 10 ms sleep woke late by): p99 {lag.p99_ms:.1f} ms, worst {lag.worst_ms:.1f} ms (goal ≤50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--concurrency", type=int, default=1, help="presses in flight at once (default 1)")
    args = parser.parse_args()
    asyncio.run(run(args.answers, args.members, args.database_url, max(1, min(args.concurrency, args.members))))


if __name__ == "__main__":
    main()
