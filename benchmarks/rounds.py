"""What an organiser waits for, and what everyone else waits for meanwhile: ``/match now`` and ``/broadcast``
through ``Core.handle``, from the command to the reply (every message queued), on SQLite and PostgreSQL.

    python -m benchmarks.rounds                          # 10,000 and 100,000 members, both databases
    python -m benchmarks.rounds --sizes 10000 --databases sqlite
    python -m benchmarks.rounds --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Each case builds a community in the real schema (``benchmarks.community``) in a scratch database, then a fresh
process runs the round, so its peak memory is the round's: ``/match now`` as the organiser, with a probe task
beside it that sleeps 10 ms at a time and records how late it wakes (the loop's lag), and a counter of the SQL
statements sent. Before it, the process starts the matcher's worker and freezes what it has built out of the
garbage collector's way, as ``icebreaker run`` does at boot (``solver_process.warm_up``, ``gc.freeze``). The
matcher's own process reports its peak memory and the CPU time of its matching too; the bot's CPU time is this
process's (all its threads) during the command. At 10,000 members a broadcast to everyone (``/broadcast``) is
measured the same way, after the round.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import func, select

from benchmarks.community import ORGANISER, build, intros_by_hand
from benchmarks.probe import LoopLag, counting, peak_rss_mb
from benchmarks.scratch import DEFAULT_PG, scratch_url
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.intros.solver_process import warm_up
from bot.messages import ButtonPress, Command
from storage.database import Database
from storage.models import OutboxMessage

GOALS = {10_000: 3.0, 100_000: 40.0}


async def _timed(core: Core, database: Database, command: str, args: str) -> dict[str, Any]:
    return await _timed_incoming(core, database, Command(ORGANISER, command, args))


async def _timed_broadcast(core: Core, database: Database, text: str) -> dict[str, Any]:
    """The broadcast is previewed first; what is measured is pressing its Send, to every message queued."""
    preview = await core.handle(Command(ORGANISER, "broadcast", text))
    send = next(b for row in preview[0].message.buttons for b in row if b.label == "Send")
    return await _timed_incoming(core, database, ButtonPress(ORGANISER, send.action, send.value))


async def _timed_incoming(core: Core, database: Database, incoming: Command | ButtonPress) -> dict[str, Any]:
    with counting(database.engine) as statements:
        async with LoopLag() as lag:
            started, cpu = time.perf_counter(), time.process_time()
            actions = await core.handle(incoming)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "statements": statements.count,
        "lag_worst_ms": lag.worst_ms,
        "lag_p99_ms": lag.p99_ms,
        "reply": actions[0].message.plain_text().splitlines()[0] if actions else "",
    }


class _Matched(logging.Handler):
    """Reads the matcher process's figures from the round's log record."""

    peak_mb = 0.0
    seconds = 0.0
    cpu_seconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        self.peak_mb = max(self.peak_mb, getattr(record, "matcher_peak_rss_mb", 0.0))
        self.seconds += getattr(record, "matcher_seconds", 0.0)
        self.cpu_seconds += getattr(record, "matcher_cpu_seconds", 0.0)


async def _case(url: str, broadcast: bool) -> dict[str, Any]:
    """In the measuring process: the round, then (optionally) a broadcast."""
    database = Database(url)
    matched = _Matched()
    logging.getLogger("bot.intros.rounds").addHandler(matched)
    logging.getLogger("bot.intros.rounds").setLevel(logging.INFO)
    core = Core(database, SystemClock(), Policy())
    booted = time.perf_counter()
    await warm_up()  # as `icebreaker run` does at boot
    gc.freeze()  # likewise: what boot built is left out of every later collection
    figures: dict[str, Any] = {"warm_up_seconds": time.perf_counter() - booted}
    async with database.read() as session:
        before = await session.scalar(select(func.count()).select_from(OutboxMessage))
    figures["round"] = await _timed(core, database, "match", "now")
    async with database.read() as session:
        after_round = await session.scalar(select(func.count()).select_from(OutboxMessage))
    figures["round"]["queued"] = (after_round or 0) - (before or 0)
    figures["bot_peak_rss_mb"] = peak_rss_mb()
    figures["matcher_peak_rss_mb"] = matched.peak_mb
    figures["matcher_seconds"] = matched.seconds
    figures["matcher_cpu_seconds"] = matched.cpu_seconds
    if broadcast:
        figures["broadcast"] = await _timed_broadcast(core, database, "Doors open at 18:00. See you there!")
        async with database.read() as session:
            total = await session.scalar(select(func.count()).select_from(OutboxMessage))
        figures["broadcast"]["queued"] = (total or 0) - (after_round or 0)
    await database.dispose()
    return figures


async def _seed(url: str, members: int) -> None:
    database = Database(url)
    await build(database, members)
    await intros_by_hand(database)
    await database.dispose()


def _child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.rounds", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


async def run(sizes: list[int], databases: list[str], pg_url: str) -> None:
    print("/match now and /broadcast through Core.handle, from the command to every message queued")
    for backend in databases:
        for size in sizes:
            async with scratch_url(None if backend == "sqlite" else pg_url) as url:
                started = time.perf_counter()
                _child("--seed", url, str(size))
                seeded = time.perf_counter() - started
                figures = json.loads(_child("--measure", url, "1" if size <= 10_000 else "0").splitlines()[-1])
            _report(backend, size, seeded, figures)
            # One intro (or a left-out note) per member and the organiser's delivery report; a broadcast to each
            # member and the organiser's progress.
            if (
                figures["round"]["queued"] != size + 1
                or figures.get("broadcast", {"queued": size + 1})["queued"] != size + 1
            ):
                raise SystemExit(f"messages missing: {figures}")


def _report(backend: str, size: int, seeded: float, figures: dict[str, Any]) -> None:
    round_ = figures["round"]
    goal = GOALS.get(size)
    print(f"\n{backend}, {size:,} members (built in {seeded:.0f} s)")
    goal_text = f" (goal ≤{goal:g} s)" if goal else ""
    print(
        f"  /match now: {round_['seconds']:.2f} s to the reply{goal_text} | {round_['queued']:,} messages queued"
        f" | {round_['statements']:,} SQL statements"
    )
    print(f"    loop lag: worst {round_['lag_worst_ms']:.0f} ms, p99 {round_['lag_p99_ms']:.0f} ms (goal ≤100 ms)")
    print(
        f"    peak memory: bot process {figures['bot_peak_rss_mb']:.0f} MB RSS, matcher process"
        f" {figures['matcher_peak_rss_mb']:.0f} MB RSS (goal ≤500 MB at 100,000)"
    )
    print(
        f"    CPU: bot process {round_['cpu_seconds']:.2f} s, matcher process {figures['matcher_cpu_seconds']:.2f} s"
        f" (its matching) | the matcher's worker was started at boot, ready in {figures['warm_up_seconds']:.2f} s"
    )
    print(f"    of which matching (in its own process): {figures['matcher_seconds']:.2f} s; reply: {round_['reply']}")
    if "broadcast" in figures:
        cast = figures["broadcast"]
        print(
            f"  /broadcast: {cast['seconds']:.2f} s to the reply | {cast['queued']:,} messages queued"
            f" | {cast['statements']:,} SQL statements | loop lag worst {cast['lag_worst_ms']:.0f} ms,"
            f" p99 {cast['lag_p99_ms']:.0f} ms | CPU {cast['cpu_seconds']:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--seed", nargs=2, metavar=("URL", "MEMBERS"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "BROADCAST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        asyncio.run(_seed(args.seed[0], int(args.seed[1])))
    elif args.measure:
        print(json.dumps(asyncio.run(_case(args.measure[0], args.measure[1] == "1"))))
    else:
        sizes = [int(size) for size in args.sizes.split(",")]
        asyncio.run(run(sizes, args.databases.split(","), args.pg_url))


if __name__ == "__main__":
    main()
