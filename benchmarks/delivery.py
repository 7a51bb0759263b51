"""Delivery throughput against a Telegram stand-in that enforces Telegram's limits with 429s.

    python -m benchmarks.delivery [--messages N]
    python -m benchmarks.delivery --replicas 3 --messages 3000 [--no-kill]   (PostgreSQL, ICEBREAKER_TEST_PG_DSN)

With ``--replicas``, that many worker processes (each the real Telegram adapter and Delivery, pacing by the
budget they share in the database) send the messages; one third of the way through, one is SIGKILLed, and
the benchmark reports how long until every row it held was sent by another.

The real outbox, Delivery worker and Telegram adapter (python-telegram-bot) send to a local Bot API stand-in
that answers 429 with retry_after whenever more than 30 messages/s overall or 1/s in one private chat arrive.
Most messages go to distinct members; some members get several, to exercise the per-chat limit.
Prints the throughput as a share of 30 msg/s, the 429s received and the messages lost.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from adapters.http import HttpServer
from adapters.telegram import build
from benchmarks import replicas
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.ratelimit import TELEGRAM_LIMITS
from bot.settings import Settings
from storage.database import Database
from storage.models import OutboxMessage
from storage.outbox import NewMessage, enqueue
from tests.telegram.stand_in import TOKEN, ApiError, StandIn, User

PAYLOAD = {"lines": [[{"t": "Doors open at 18:00. See you there!", "s": "plain"}]], "buttons": []}


class LimitedStandIn(StandIn):
    """Answers 429 like Telegram when a sliding window is full: 30/s overall, 1/s per private chat."""

    def __init__(self) -> None:
        super().__init__()
        self.overall: deque[float] = deque()
        self.per_chat: dict[int, deque[float]] = defaultdict(deque)
        self.too_many = 0
        self.delivered: dict[int, int] = defaultdict(int)
        self.arrivals: list[float] = []

    def busiest_second(self) -> int:
        times, most, start = sorted(self.arrivals), 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _admit(self, window: deque[float], limit: int, span: float, now: float) -> float:
        while window and now - window[0] >= span:
            window.popleft()
        return 0.0 if len(window) < limit else window[0] + span - now

    async def _api_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        now = time.monotonic()
        chat = int(params["chat_id"])
        wait = max(self._admit(self.overall, 30, 1.0, now), self._admit(self.per_chat[chat], 1, 1.0, now))
        if wait > 0:
            self.too_many += 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self.overall.append(now)
        self.per_chat[chat].append(now)
        self.delivered[chat] += 1
        self.arrivals.append(now)
        return await super()._api_sendMessage(params, files)


async def run(total: int) -> None:
    stand_in = LimitedStandIn()
    await stand_in.start()
    repeat_chats = 10
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        await database.upgrade()
        messages = []
        for n in range(total):
            user = 100_000 + ((n // 20) % repeat_chats if n % 20 == 0 else n)  # every 20th: one of 10 busy chats
            stand_in.add_user(User(user, f"Member {n}"))
            messages.append(NewMessage(f"bench:{n}", "telegram", str(user), PAYLOAD))
        async with database.transaction() as session:
            await enqueue(session, messages, datetime.now(UTC))
        settings = Settings(telegram_token=SecretStr(TOKEN), telegram_api_url=stand_in.api_url)
        adapter = build(settings, Core(database, SystemClock(), Policy()), HttpServer("127.0.0.1", 0))
        await adapter.application.bot.initialize()
        delivery = Delivery(database, {"telegram": adapter}, SystemClock(), limits={"telegram": TELEGRAM_LIMITS})
        started = time.perf_counter()
        while True:
            await delivery.run_once()
            async with database.transaction() as session:
                left = await session.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
            if not left:
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await adapter.application.bot.shutdown()
        await database.dispose()
    await stand_in.stop()
    delivered = sum(stand_in.delivered.values())
    rate = total / elapsed
    print(f"delivery of {total} messages to a stand-in enforcing Telegram's limits (30/s overall, 1/s per chat)")
    print(f"  elapsed {elapsed:.1f} s, throughput {rate:.1f} msg/s = {rate / 30:.1%} of 30 msg/s (goal ≥95%)")
    print(f"  429 answers received: {stand_in.too_many}; delivered {delivered}; lost {total - delivered} (goal 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=0, help="worker processes on PostgreSQL (0: one, in-process)")
    parser.add_argument("--no-kill", action="store_true", help="with --replicas: do not SIGKILL one of them")
    parser.add_argument("--worker", nargs=3, metavar=("DATABASE_URL", "API_URL", "ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(replicas.worker(*args.worker))
    elif args.replicas:
        asyncio.run(replicas.run(args.messages, args.replicas, kill=not args.no_kill, stand_in=LimitedStandIn()))
    else:
        asyncio.run(run(args.messages))


if __name__ == "__main__":
    main()
