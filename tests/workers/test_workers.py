"""Real processes sharing one database: each message sent once, crashes never cause silent re-sends."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage.database import Database
from storage.models import OutboxMessage
from storage.outbox import NewMessage, enqueue
from tests.workers.recorder import Recorder

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = {"lines": [[{"t": "Doors open at 18:00", "s": "plain"}]], "buttons": []}


async def _queue(database: Database, count: int) -> None:
    now = datetime.now(UTC)
    messages = [NewMessage(f"broadcast:1:{n}", "console", f"member-{n}", PAYLOAD) for n in range(count)]
    async with database.transaction() as session:
        assert await enqueue(session, messages, now) == count


async def _worker(database: Database, url: str, worker_id: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workers.deliver_worker",
        database.url,
        url,
        worker_id,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _statuses(database: Database) -> dict[str, int]:
    async with database.transaction() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: count for status, count in rows.all()}


async def test_three_workers_on_postgresql_send_each_message_once(postgres_database: Database) -> None:
    await _queue(postgres_database, 1000)
    recorder = Recorder()
    url = await recorder.start()
    try:
        workers = [await _worker(postgres_database, url, f"w{n}") for n in range(3)]
        results = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), timeout=120)
    finally:
        await recorder.stop()
    for worker, (_, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err.decode()[-2000:]
    copies = recorder.copies()
    assert len(copies) == 1000 and set(copies.values()) == {1}
    assert await _statuses(postgres_database) == {"sent": 1000}
    async with postgres_database.transaction() as session:
        by_worker = dict(
            (
                await session.execute(select(OutboxMessage.claimed_by, func.count()).group_by(OutboxMessage.claimed_by))
            ).all()
        )
    assert len(by_worker) == 3 and min(by_worker.values()) > 50, by_worker  # the work really was shared


async def test_sigkill_at_random_points_never_resends_silently(sqlite_database: Database) -> None:
    await _queue(sqlite_database, 1000)
    recorder = Recorder(delay=(0.001, 0.004))
    url = await recorder.start()
    rng = random.Random(20261122)
    kills = 0
    try:
        for attempt in range(6):
            worker = await _worker(sqlite_database, url, f"crash{attempt}")
            if attempt < 5:
                target = len(recorder.received) + rng.randint(40, 160)
                while len(recorder.received) < target and worker.returncode is None:  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.005)
                if worker.returncode is None:
                    worker.send_signal(signal.SIGKILL)
                    kills += 1
            _, err = await asyncio.wait_for(worker.communicate(), timeout=120)
            if attempt == 5:
                assert worker.returncode == 0, err.decode()[-2000:]
        statuses = await _statuses(sqlite_database)
        copies = recorder.copies()
        uncertain = statuses.get("uncertain", 0)
        assert kills == 5
        assert statuses.get("sent", 0) + uncertain == 1000 and set(statuses) <= {"sent", "uncertain"}
        assert uncertain <= kills  # at most the one message in flight at each kill
        async with sqlite_database.transaction() as session:
            sent = set(
                (await session.scalars(select(OutboxMessage.address).where(OutboxMessage.status == "sent"))).all()
            )
            unsure = set(
                (await session.scalars(select(OutboxMessage.address).where(OutboxMessage.status == "uncertain"))).all()
            )
        assert all(copies[address] == 1 for address in sent)  # nobody missed, nobody twice
        assert all(copies[address] <= 1 for address in unsure)  # never silently re-sent
        before = len(recorder.received)
        again = await _worker(sqlite_database, url, "after")  # a second restart sends nothing
        await asyncio.wait_for(again.communicate(), timeout=60)
        assert len(recorder.received) == before
    finally:
        await recorder.stop()
