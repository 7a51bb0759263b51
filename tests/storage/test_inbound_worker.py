"""The inbox worker, on SQLite and PostgreSQL: a slow update in one chat never holds up the other chats, one
chat's updates still go one after another in their order, and a stop finishes every update in hand."""

from __future__ import annotations

import asyncio

from bot.clock import ManualClock
from bot.inbound import Completion, Inbound
from storage import inbox
from storage.database import Database
from storage.inbox import ClaimedUpdate, NewUpdate

WITHIN = 10.0  # seconds: a bound on waits that take milliseconds, so a broken worker fails instead of hanging


class Recorder:
    """A platform handler that notes what it started and finished; updates of chat "slow" wait for a signal."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, update: ClaimedUpdate, completion: Completion) -> None:
        self.started.append(update.external_id)
        if update.chat.startswith("slow"):
            await self.release.wait()
        self.finished.append(update.external_id)


async def _until(condition: object) -> None:
    async with asyncio.timeout(WITHIN):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_a_slow_update_holds_up_only_its_own_chat(database: Database, clock: ManualClock) -> None:
    recorder = Recorder()
    worker = Inbound(database, clock, idle_seconds=0.05)
    worker.register("telegram", recorder)
    await worker.record([NewUpdate("telegram", "1", "slow", {}), NewUpdate("telegram", "2", "slow", {})])
    await worker.record([NewUpdate("telegram", str(n), f"member-{n}", {}) for n in range(3, 8)])
    worker.start()
    try:
        await _until(lambda: set(recorder.finished) == {"3", "4", "5", "6", "7"})
        assert recorder.started[:1] == ["1"] and "2" not in recorder.started  # its chat's next update waits
        await worker.record([NewUpdate("telegram", "8", "member-8", {})])  # arrives while the slow one runs
        await _until(lambda: "8" in recorder.finished)
        recorder.release.set()
        await _until(lambda: "2" in recorder.finished)
        assert recorder.finished.index("1") < recorder.started.index("2")
    finally:
        recorder.release.set()
        await asyncio.wait_for(worker.stop(), WITHIN)
    async with database.read() as session:
        assert await inbox.pending(session) == 0


async def test_updates_in_hand_at_a_stop_are_finished(database: Database, clock: ManualClock) -> None:
    recorder = Recorder()
    worker = Inbound(database, clock, idle_seconds=0.05, concurrency=4)
    worker.register("telegram", recorder)
    await worker.record([NewUpdate("telegram", "1", "slow", {}), NewUpdate("telegram", "2", "other", {})])
    worker.start()
    try:
        await _until(lambda: recorder.finished == ["2"])  # the other chat's update went by the slow one
        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0.1)
        assert not stopping.done()  # the stop waits for the slow update in hand
    finally:
        recorder.release.set()
        await asyncio.wait_for(worker.stop(), WITHIN)
    assert sorted(recorder.finished) == ["1", "2"]
    async with database.read() as session:
        assert await inbox.pending(session) == 0


async def test_no_more_than_the_concurrency_at_once(database: Database, clock: ManualClock) -> None:
    recorder = Recorder()
    worker = Inbound(database, clock, idle_seconds=0.05, concurrency=2)
    worker.register("telegram", recorder)
    await worker.record([NewUpdate("telegram", str(n), "slow", {}) for n in range(1, 2)])
    await worker.record([NewUpdate("telegram", str(n), f"slow-{n}", {}) for n in range(2, 4)])
    worker.start()
    try:
        await _until(lambda: len(recorder.started) == 2)
        await asyncio.sleep(0.2)
        assert len(recorder.started) == 2  # both slots busy with slow chats; the third waits
    finally:
        recorder.release.set()
        await asyncio.wait_for(worker.stop(), WITHIN)
