"""Runs the matcher in a separate process, so that the event loop keeps answering while it works.

A thread is not enough: rustworkx holds the GIL for the whole ``max_weight_matching`` call (a 0.74 s matching
froze the main thread for 0.73 s). The process is a long-lived worker, started at boot (``warm_up``) and reused
by every round of this bot process (rounds at once take turns in it). A fresh worker
per round cost a 10,000-member round about 1.5 s of CPU before matching began: multiprocessing makes every new
worker import the program's main module, which is the whole bot (SQLAlchemy, the models, the adapters);
preloading it in a fork server does not help on Python 3.11 (its ``"__main__"`` preload is never given the
path). If the worker dies (say, out of memory), that round fails as before and the next one starts a new worker.

The worker belongs to the process, like multiprocessing's own fork server, not to a ``Core`` (of which tests
build many). The pool goes over as plain tuples and is rebuilt into the matcher's frozen dataclasses in the
worker: pickling a slotted frozen dataclass runs Python code per object, on a thread of the bot's process, with
the GIL held.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.matching import Candidate, MatchResult, PastMeeting, Rules, match

T = TypeVar("T")
CandidateRow = tuple[int, tuple[str, ...], str | None, float | None, str, bool, bool]
_CONTEXT = "spawn"  # fork is unsafe beside threads; the worker is started once, so its start-up cost is paid once
# One worker: rounds of one process (two events' organisers at once) take turns in it. With two, the pool
# started a second worker as soon as a round came before the first worker was counted idle again, so a second
# resident process was the rule, not the exception.
WORKERS = 1


@dataclass(frozen=True, slots=True)
class Matched:
    """What the worker sends back: the result and what matching cost the worker."""

    result: MatchResult
    peak_mb: float  # the worker's peak resident memory so far (it serves every round of the process)
    cpu_seconds: float  # the worker's CPU time (user + system) for this matching


class _Worker:
    """The warm worker process of this bot process, started when first needed (or by ``warm_up``)."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # submits come from threads (``asyncio.to_thread``)

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=WORKERS, mp_context=multiprocessing.get_context(_CONTEXT), initializer=_settle
                )
            return self._executor.submit(fn, *args)

    def discard(self) -> None:
        """The worker died: the next round starts a new one."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


_WORKER = _Worker()


def _settle() -> None:
    """In the worker, once: what start-up imported is kept out of every later collection of the matcher, and the
    worker ends with the bot (a bot killed outright leaves no exit handler to stop it)."""
    gc.freeze()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(1)


def _ready() -> bool:
    return True


async def warm_up() -> None:
    """Start the worker now (at boot) and wait until it has imported everything, instead of in the first round."""
    await _in_worker(_ready)


async def _in_worker(fn: Callable[..., T], *args: object) -> T:
    # Starting the worker (and submitting to it) waits on a pipe: not on the loop's thread.
    try:
        future = await asyncio.to_thread(_WORKER.submit, fn, *args)
        return await asyncio.wrap_future(future)
    except BrokenProcessPool:
        _WORKER.discard()
        raise


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _match_rows(
    candidates: Sequence[CandidateRow],
    history: Sequence[tuple[int, int, datetime]],
    blocks: Sequence[tuple[int, int]],
    rules: Rules,
    seed: int,
) -> Matched:
    """In the worker: the matching from plain rows, with the worker's peak memory (MB) and CPU seconds."""
    started = _cpu_seconds()
    result = match(
        [
            Candidate(member_id, frozenset(interests), role, offset, platform, cross_platform_ok, priority)
            for member_id, interests, role, offset, platform, cross_platform_ok, priority in candidates
        ],
        [PastMeeting(a, b, when) for a, b, when in history],
        blocks,
        rules,
        seed=seed,
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Matched(result, peak_mb, _cpu_seconds() - started)


def _row(c: Candidate) -> CandidateRow:
    return (c.member_id, tuple(c.interests), c.role, c.utc_offset_hours, c.platform, c.cross_platform_ok, c.priority)


async def match_in_process(
    candidates: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Sequence[tuple[int, int]],
    rules: Rules,
    seed: int,
) -> Matched:
    """``match(...)`` in the worker process."""
    rows = [_row(c) for c in candidates]
    meetings = [(m.a, m.b, m.when) for m in history]
    return await _in_worker(_match_rows, rows, meetings, tuple(blocks), rules, seed)
