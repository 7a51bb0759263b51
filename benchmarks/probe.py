"""What everyone else waits for while a benchmark runs: the event loop's lag, and the SQL statements issued."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

TICK = 0.010


class LoopLag:
    """A task that sleeps 10 ms at a time and records how late it wakes: the loop's lag, as anyone waits it."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(TICK)
            self.late.append(max(0.0, time.perf_counter() - asked - TICK))

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    @property
    def worst_ms(self) -> float:
        return max(self.late, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.late)
        return ordered[int(len(ordered) * 0.99) - 1] * 1000 if len(ordered) >= 100 else self.worst_ms


class Statements:
    """Counts the SQL statements an engine sends (each batch of an executemany counts once)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Statements]:
    counter = Statements()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of its finished children), in MB."""
    return resource.getrusage(who).ru_maxrss / 1024
