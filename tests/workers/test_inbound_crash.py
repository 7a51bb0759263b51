"""Replicas in webhook mode on one PostgreSQL, killed mid-burst: no acknowledged update lost, none handled twice.

Two real `serve` processes take Telegram webhook POSTs (from this test, playing Telegram: what is not answered
200 is sent again, to the other replica, as Telegram retries). Each update is a different person's ``/join``, so a
lost update is a missing participant and an update handled twice is a second answer ("You're already in").
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from adapters.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.inbound import DEFAULT_CONCURRENCY
from bot.messages import Command, Sender
from storage.database import Database
from storage.models import Event, InboxStatus, InboxUpdate, Participant
from tests.telegram.stand_in import StandIn, User
from tests.workers.inbound_replica import SECRET

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 150


async def _replica(database: Database, stand_in: StandIn) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workers.inbound_replica",
        database.url,
        stand_in.api_url,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    if not line.startswith(b"port "):
        _, err = await process.communicate()
        raise AssertionError(err.decode()[-3000:])
    return process, int(line.split()[1])


async def _event_code(database: Database) -> str:
    core = Core(database, SystemClock(), Policy())
    await core.handle(Command(Sender("console", "olivia", "Olivia"), "newevent", '"Mixer" 2027-01-15 18:30 UTC'))
    async with database.transaction() as session:
        return str(await session.scalar(select(Event.join_code)))


async def _post(session: aiohttp.ClientSession, port: int, update: dict[str, Any]) -> bool:
    """True when the replica answered 200 (Telegram forgets the update); False: Telegram will retry it."""
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    try:
        async with session.post(url, data=json.dumps(update), headers=headers) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def _burst(stop_signal: signal.Signals, database: Database) -> tuple[StandIn, list[User], int]:
    stand_in = StandIn()
    await stand_in.start()
    code = await _event_code(database)
    people = [User(5000 + n, f"Person {n}") for n in range(PEOPLE)]
    updates = [stand_in.message_update(person, f"/join {code}") for person in people]
    first, first_port = await _replica(database, stand_in)
    second, second_port = await _replica(database, stand_in)
    acknowledged_by_first = 0
    retry: list[dict[str, Any]] = []
    stopped = asyncio.Event()
    try:
        async with aiohttp.ClientSession() as session:
            gate = asyncio.Semaphore(6)  # Telegram keeps several webhook connections open at once

            async def send(update: dict[str, Any]) -> None:
                nonlocal acknowledged_by_first
                async with gate:
                    if stopped.is_set() or not await _post(session, first_port, update):
                        retry.append(update)
                        return
                    acknowledged_by_first += 1
                    if acknowledged_by_first == PEOPLE // 3:
                        first.send_signal(stop_signal)  # mid-burst: more POSTs in flight, more queued behind
                        stopped.set()

            await asyncio.gather(*(send(u) for u in updates))
            for update in retry:  # Telegram sends again what it did not see answered 200
                while not await _post(session, second_port, update):  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.1)
        _, first_err = await asyncio.wait_for(first.communicate(), timeout=60)
        await _all_handled(database)
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.communicate(), timeout=60)
        await stand_in.stop()
    if stop_signal == signal.SIGTERM:
        assert first.returncode == 0, first_err.decode()[-3000:]
    assert acknowledged_by_first >= PEOPLE // 3 and retry  # the kill really came mid-burst
    return stand_in, people, acknowledged_by_first


async def _all_handled(database: Database) -> None:
    async with asyncio.timeout(90):
        while True:
            async with database.read() as session:
                done = await session.scalar(
                    select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == InboxStatus.DONE)
                )
            if done == PEOPLE:
                return
            await asyncio.sleep(0.2)


async def _outcome(database: Database, stand_in: StandIn, people: list[User]) -> tuple[int, list[int], list[str]]:
    async with database.read() as session:
        joined = await session.scalar(select(func.count()).select_from(Participant))
        recorded = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert recorded == PEOPLE  # each update recorded once, whichever replica and however often it was posted
    answers = [len(stand_in.calls_of("sendMessage", p.id)) for p in people]
    texts = [c.params["text"] for p in people for c in stand_in.calls_of("sendMessage", p.id)]
    return int(joined or 0), answers, texts


async def test_sigkill_mid_burst_loses_no_acknowledged_update_and_handles_none_twice(
    postgres_database: Database,
) -> None:
    stand_in, people, _ = await _burst(signal.SIGKILL, postgres_database)
    joined, answers, texts = await _outcome(postgres_database, stand_in, people)
    assert joined == PEOPLE  # 0 lost: everyone who wrote is in
    assert not any("already in" in t for t in texts)  # 0 handled twice
    assert max(answers) == 1
    # The updates being handled at the kill (up to the worker's concurrency, one per chat) may have committed
    # before their answers were sent: those answers are lost (answers are sent after the commit, not yet through
    # the outbox: a known gap, see the README). Never more than that.
    assert answers.count(0) <= DEFAULT_CONCURRENCY


async def test_sigterm_mid_burst_finishes_or_hands_back_everything(postgres_database: Database) -> None:
    stand_in, people, _ = await _burst(signal.SIGTERM, postgres_database)
    joined, answers, texts = await _outcome(postgres_database, stand_in, people)
    assert joined == PEOPLE
    assert not any("already in" in t for t in texts)
    assert answers == [1] * PEOPLE  # a graceful stop finishes the update in hand, answer included
