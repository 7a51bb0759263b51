"""Runs the matcher in a separate process, so that the event loop keeps answering while it works.

A thread is not enough: rustworkx holds the GIL for the whole ``max_weight_matching`` call (a 0.74 s matching
froze the main thread for 0.73 s). Each round gets a fresh worker forked from multiprocessing's fork server,
which has ``bot.matching`` (rustworkx, numpy) imported already, so a round pays a fork, not an interpreter
start; the worker exits when the round is done. The inputs and the result are frozen dataclasses (pickled).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from bot.matching import Candidate, MatchResult, PastMeeting, Rules, match

_CONTEXT = "forkserver"  # spawn costs an interpreter start per round; fork is unsafe beside threads


def _match_and_measure(
    candidates: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Sequence[tuple[int, int]],
    rules: Rules,
    seed: int,
) -> tuple[MatchResult, float]:
    """In the worker: the matching, and the worker's peak resident memory in MB."""
    result = match(candidates, history, blocks, rules, seed=seed)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def match_in_process(
    candidates: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Sequence[tuple[int, int]],
    rules: Rules,
    seed: int,
) -> tuple[MatchResult, float]:
    """``match(...)`` in a worker process; returns the result and the worker's peak memory (MB)."""
    context = multiprocessing.get_context(_CONTEXT)
    context.set_forkserver_preload(["bot.matching"])  # takes effect when the fork server first starts
    executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
    try:
        # Starting the worker (and, the first time, the fork server) waits on a socket: not on the loop's thread.
        future = await asyncio.to_thread(
            executor.submit, _match_and_measure, tuple(candidates), tuple(history), tuple(blocks), rules, seed
        )
        return await asyncio.wrap_future(future)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
