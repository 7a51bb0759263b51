"""The one wrapper around APScheduler. It only wakes the process: the schedule itself lives in the database."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Tick = Callable[[], Awaitable[object]]


class Ticker:
    """Calls each tick every ``seconds``; a slow tick is never run twice at once (max_instances=1)."""

    def __init__(self, seconds: float = 5.0) -> None:
        self._scheduler = AsyncIOScheduler()
        self._seconds = seconds

    def every(self, name: str, tick: Tick) -> None:
        async def guarded() -> None:
            try:
                await tick()
            except Exception:
                log.exception("scheduled tick failed", extra={"tick": name})

        self._scheduler.add_job(
            guarded,
            "interval",
            seconds=self._seconds,
            id=name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=False)
