"""Several delivery replicas on one PostgreSQL, for ``python -m benchmarks.delivery --replicas N``.

Each worker is a process with the real Telegram adapter and Delivery, pacing by the budget every replica shares
in the database. The parent queues the messages, starts the workers, SIGKILLs one of them a third of the way
through, and measures the aggregate rate the stand-in saw, what was lost or doubled, and how long the killed
worker's rows waited before another worker sent them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import SecretStr
from sqlalchemy import func, select

from adapters.http import HttpServer
from adapters.telegram import build
from bot.budget import SharedBudget
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.ratelimit import TELEGRAM_LIMITS
from bot.settings import Settings
from storage.database import Database
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import NewMessage, enqueue
from tests.telegram.stand_in import TOKEN, User

ROOT = Path(__file__).resolve().parents[1]
PG_DSN = os.environ.get("ICEBREAKER_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PAYLOAD = {"lines": [[{"t": "Doors open at 18:00. See you there!", "s": "plain"}]], "buttons": []}
HELD = (OutboxStatus.CLAIMED, OutboxStatus.SENDING)


async def worker(database_url: str, api_url: str, worker_id: str) -> None:
    database = Database(database_url)
    settings = Settings(telegram_token=SecretStr(TOKEN), telegram_api_url=api_url)
    adapter = build(settings, Core(database, SystemClock(), Policy()), HttpServer("127.0.0.1", 0))
    await adapter.application.bot.initialize()
    budget = SharedBudget(database, {"telegram": TELEGRAM_LIMITS})
    delivery = Delivery(database, {"telegram": adapter}, SystemClock(), worker_id=worker_id, budget=budget)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, delivery.stop)
    while not delivery.stopping.is_set():
        await delivery.run_once(batch=20)
        await asyncio.sleep(0.05)
    await adapter.application.bot.shutdown()
    await database.dispose()


async def _spawn(database_url: str, api_url: str, worker_id: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.delivery",
        "--worker",
        database_url,
        api_url,
        worker_id,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _count(database: Database, *conditions: Any) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions)) or 0)


async def run(total: int, count: int, *, kill: bool, stand_in: Any) -> None:
    name = f"icebreaker_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    database = Database(url)
    await stand_in.start()
    try:
        await database.upgrade()
        messages = []
        for n in range(total):
            user = 100_000 + ((n // 20) % 10 if n % 20 == 0 else n)  # every 20th: one of 10 busy chats
            stand_in.add_user(User(user, f"Member {n}"))
            messages.append(NewMessage(f"bench:{n}", "telegram", str(user), PAYLOAD))
        async with database.transaction() as session:
            await enqueue(session, messages, datetime.now(UTC))
        workers = [await _spawn(url, stand_in.api_url, f"w{n}") for n in range(count)]
        killed_at: float | None = None
        held: list[int] = []
        recovered_after: float | None = None
        while await _count(database, OutboxMessage.status.in_([OutboxStatus.QUEUED, *HELD])):
            delivered = sum(stand_in.delivered.values())
            if kill and killed_at is None and delivered >= total // 3:
                workers[0].send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                await workers[0].wait()
                async with database.read() as session:
                    query = select(OutboxMessage.id).where(
                        OutboxMessage.claimed_by == "w0", OutboxMessage.status.in_(HELD)
                    )
                    held = list((await session.scalars(query)).all())
            if held and recovered_after is None:
                left = await _count(database, OutboxMessage.id.in_(held), OutboxMessage.status.in_(HELD))
                requeued = await _count(database, OutboxMessage.id.in_(held), OutboxMessage.status == "queued")
                if not left and not requeued:
                    recovered_after = time.monotonic() - (killed_at or 0)
            await asyncio.sleep(0.1)
        for process in workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in workers:
            await process.wait()
        sent = await _count(database, OutboxMessage.status == OutboxStatus.SENT)
        uncertain = await _count(database, OutboxMessage.status == OutboxStatus.UNCERTAIN)
    finally:
        await database.dispose()
        await stand_in.stop()
        admin = await asyncpg.connect(PG_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    arrivals = sorted(stand_in.arrivals)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    rate = len(arrivals) / span
    delivered = sum(stand_in.delivered.values())
    print(f"{count} replicas on PostgreSQL, {total} messages, stand-in enforcing 30/s overall and 1/s per chat")
    print(f"  first to last delivery {span:.1f} s: {rate:.1f} msg/s = {rate / 30:.1%} of 30 msg/s (goal ≥95%)")
    print(f"  busiest second at the stand-in: {stand_in.busiest_second()} messages")
    print(f"  429 answers: {stand_in.too_many}; rows sent {sent}, uncertain {uncertain}")
    print(f"  delivered {delivered}: lost {max(0, total - delivered)}, doubled {max(0, delivered - total)}")
    if kill:
        print(f"  SIGKILLed w0 holding {len(held)} rows; all sent by others {recovered_after:.1f} s after the kill")
