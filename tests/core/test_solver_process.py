"""The matcher's worker process: one warm worker reused by every round, the same result as matching here, and a
new worker after the old one died."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.intros.solver_process import WORKERS, match_in_process, warm_up
from bot.matching import Candidate, PastMeeting, Rules, match

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
INTERESTS = ["Python", "Rust", "Design", "Chess", "Jazz", "Hiking"]


def _pool(size: int = 60) -> tuple[list[Candidate], list[PastMeeting], list[tuple[int, int]], Rules]:
    """A pool that uses every field the worker rebuilds: interests, roles, offsets, platforms, consent,
    priority, history and blocks."""
    rng = random.Random(5)
    candidates = [
        Candidate(
            member_id=member_id,
            interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 4))),
            role=rng.choice([None, "recruiter", "candidate"]),
            utc_offset_hours=rng.choice([None, 0.0, 1.0, 5.5, -8.0]),
            platform=rng.choice(["slack", "telegram"]),
            cross_platform_ok=rng.random() < 0.6,
            priority=rng.random() < 0.15,
        )
        for member_id in range(1, size + 1)
    ]
    history = [PastMeeting(a, a + 1, T0 + timedelta(days=a)) for a in range(1, size, 3)]
    blocks = [(a, a + 2) for a in range(2, size, 7)]
    rules = Rules(
        group_size=3,
        cross_roles=frozenset({frozenset({"recruiter", "candidate"})}),
        max_per_role=2,
        prefer_within_hours=3.0,
    )
    return candidates, history, blocks, rules


def _children() -> set[int | None]:
    return {child.pid for child in multiprocessing.active_children()}


async def test_the_worker_gives_what_matching_here_gives() -> None:
    candidates, history, blocks, rules = _pool()
    matched = await match_in_process(candidates, history, blocks, rules, seed=11)
    assert matched.result == match(candidates, history, blocks, rules, seed=11)
    assert matched.result.groups  # the pool is matchable: the comparison is about real groups
    assert matched.peak_mb > 0 and matched.cpu_seconds >= 0


async def test_rounds_reuse_the_worker_started_at_boot() -> None:
    await warm_up()
    started = _children()
    assert started  # boot started the worker
    candidates, history, blocks, rules = _pool()
    for seed in (1, 2):
        await match_in_process(candidates, history, blocks, rules, seed=seed)
        assert _children() == started  # the same process: no new worker per round


async def test_two_rounds_at_once_are_both_matched_in_the_one_worker() -> None:
    await warm_up()
    started = _children()
    candidates, history, blocks, rules = _pool()
    first, second = await asyncio.gather(
        match_in_process(candidates, history, blocks, rules, seed=4),
        match_in_process(candidates[:40], history, blocks, rules, seed=5),
    )
    assert first.result == match(candidates, history, blocks, rules, seed=4)
    assert second.result == match(candidates[:40], history, blocks, rules, seed=5)
    assert _children() == started and len(started) == WORKERS == 1


async def test_a_worker_that_died_is_replaced_by_the_next_round() -> None:
    await warm_up()
    for pid in _children():
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
    candidates, history, blocks, rules = _pool()
    with pytest.raises(BrokenProcessPool):  # the round that found it dead fails, as a crash in it would
        await match_in_process(candidates, history, blocks, rules, seed=3)
    matched = await match_in_process(candidates, history, blocks, rules, seed=3)
    assert matched.result == match(candidates, history, blocks, rules, seed=3)


WARM_UP_THEN_DIE = """
import asyncio, multiprocessing, os, signal
from bot.intros.solver_process import warm_up
if __name__ == "__main__":
    asyncio.run(warm_up())
    print(*[child.pid for child in multiprocessing.active_children()], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no exit handler runs
"""


def test_the_worker_ends_when_the_bot_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "bot_that_dies.py"
    script.write_text(WARM_UP_THEN_DIE)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert workers
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
