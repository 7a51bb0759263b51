"""What the stats chart costs: import, drawing, memory, and `/stats` from the command to the reply.

    python -m benchmarks.charts [--charts N] [--members N] [--quick]

* import: ``import bot.charts`` (matplotlib) in a fresh interpreter, time and resident memory added;
* drawing: N charts of a realistic event (funnel and a 12-option poll): mean, p95, max, and the traced
  peak of one chart; the process's RSS after all of them (a leak would show as growth);
* end to end: ``/stats`` through ``Core.handle`` on SQLite for an event of ``--members`` members who answered
  the poll, with a loop-lag probe (a task that sleeps 10 ms and records how late it wakes) running beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from bot.charts import stats_png
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import ButtonPress, Command, Sender
from bot.stats import EventStats
from storage.database import Database

OPTIONS = [f"Interest {n}" for n in range(1, 13)]
IMPORT_PROBE = """
import json, os, time
def rss():  # the resident set now (ru_maxrss would start at the parent's peak after fork)
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
before = rss()
start = time.perf_counter()
import bot.charts
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_mb": rss() - before}))
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_import() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def measure_drawing(charts: int) -> dict[str, float]:
    figures = EventStats(
        300, 12, 250, 5, 3, 180, 40, 240, 200, 150, 4.3, 170, 30, tuple((o, 20 + i) for i, o in enumerate(OPTIONS))
    )
    stats_png("warm-up", figures)
    times = []
    for _ in range(charts):
        start = time.perf_counter()
        png = stats_png("HR Tweetup London", figures)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    stats_png("HR Tweetup London", figures)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ordered = sorted(times)
    return {
        "mean_s": statistics.fmean(times),
        "p95_s": ordered[int(0.95 * (len(ordered) - 1))],
        "max_s": ordered[-1],
        "traced_peak_mb": peak / 1e6,
        "png_kb": len(png) / 1000,
        "rss_after_mb": rss_mb(),
    }


async def measure_stats(members: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        await database.upgrade()
        try:
            core = Core(database, ManualClock(datetime(2026, 11, 23, 9, tzinfo=UTC)), Policy(), rng=random.Random(1))
            organiser = Sender("console", "olivia", "Olivia")
            created = await core.handle(Command(organiser, "newevent", '"Bench" 2026-12-10 18:30 Europe/London'))
            code = created[0].message.plain_text().split("Join code: ")[1].split()[0]
            await core.handle(Command(organiser, "poll", ", ".join(OPTIONS)))
            rng = random.Random(7)
            for n in range(members):
                who = Sender("console", f"m{n}", f"Member {n}")
                joined = await core.handle(Command(who, "join", code))
                button = joined[0].message.buttons[0][0]
                shown = await core.handle(ButtonPress(who, button.action, button.value))
                picks = [b for row in shown[0].message.buttons for b in row if b.action == "pick"]
                for pick in rng.sample(picks, 2):
                    await core.handle(ButtonPress(who, pick.action, pick.value))
            lags: list[float] = []
            done = asyncio.Event()

            async def probe() -> None:
                while not done.is_set():
                    start = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append(time.perf_counter() - start - 0.01)

            prober = asyncio.create_task(probe())
            await asyncio.sleep(0.05)
            timings = []
            for _ in range(5):
                start = time.perf_counter()
                reply = await core.handle(Command(organiser, "stats"))
                timings.append(time.perf_counter() - start)
                assert reply[0].message.attachments, "stats sent no chart"
            done.set()
            await prober
            return {
                "stats_mean_s": statistics.fmean(timings),
                "stats_max_s": max(timings),
                "loop_lag_max_ms": max(lags) * 1000,
            }
        finally:
            await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charts", type=int, default=50)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="a smoke run (CI): 5 charts, 30 members")
    args = parser.parse_args()
    charts, members = (5, 30) if args.quick else (args.charts, args.members)
    imported = measure_import()
    print(f"import bot.charts (matplotlib): {imported['seconds']:.2f} s, +{imported['rss_mb']:.0f} MB RSS")
    drawn = measure_drawing(charts)
    print(
        f"one chart ({charts} drawn): mean {drawn['mean_s'] * 1000:.0f} ms, p95 {drawn['p95_s'] * 1000:.0f} ms, "
        f"max {drawn['max_s'] * 1000:.0f} ms; traced peak {drawn['traced_peak_mb']:.1f} MB; "
        f"PNG {drawn['png_kb']:.0f} kB; process peak RSS after them {drawn['rss_after_mb']:.0f} MB"
    )
    ended = asyncio.run(measure_stats(members))
    print(
        f"/stats for {members} members, command to reply with the chart: mean {ended['stats_mean_s'] * 1000:.0f} ms, "
        f"max {ended['stats_max_s'] * 1000:.0f} ms; event-loop lag meanwhile at most {ended['loop_lag_max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
