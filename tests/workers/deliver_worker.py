"""A delivery worker process for the multi-process tests: the real Delivery over an HTTP stand-in platform.

Usage: python -m tests.workers.deliver_worker DATABASE_URL RECORDER_URL WORKER_ID [shared-budget]
It recovers (marking rows a dead predecessor left mid-send as uncertain), then delivers until nothing is left.
With ``shared-budget`` it paces itself by the budget every replica shares, at Telegram's limits, and keeps going
until no row is left waiting (rows of a busy chat are deferred, not failed).
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp
from sqlalchemy import func, select

from bot.budget import SharedBudget
from bot.clock import SystemClock
from bot.delivery import Delivery
from bot.errors import TransientDeliveryError
from bot.messages import Address, Message
from bot.port import Delivered
from bot.ratelimit import TELEGRAM_LIMITS
from storage.database import Database
from storage.models import OutboxMessage, OutboxStatus


class HttpPlatform:
    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    @property
    def name(self) -> str:
        return "console"

    @property
    def supports_group_dm(self) -> bool:
        return False

    async def send(self, address: Address, message: Message) -> Delivered:
        try:
            async with self.session.post(self.url, json={"to": address.user_id, "text": message.plain_text()}) as reply:
                body = await reply.json()
        except aiohttp.ClientError as error:
            raise TransientDeliveryError(str(error)) from error
        return Delivered("console", address.user_id, body["message_id"])

    async def edit(self, delivered: Delivered, message: Message) -> None:
        return None


async def main(database_url: str, recorder_url: str, worker_id: str, mode: str = "") -> None:
    database = Database(database_url)
    budget = SharedBudget(database, {"console": TELEGRAM_LIMITS}) if mode == "shared-budget" else None
    async with aiohttp.ClientSession() as session:
        delivery = Delivery(
            database,
            {"console": HttpPlatform(recorder_url, session)},
            SystemClock(),
            worker_id=worker_id,
            budget=budget,
        )
        recovered = await delivery.recover()
        print(f"recovered {recovered}", flush=True)
        idle = 0
        while idle < 3 or (budget is not None and await _waiting(database)):
            outcome = await delivery.run_once(batch=10)
            idle = idle + 1 if not any(outcome.values()) else 0
            await asyncio.sleep(0.05 if idle else 0)
    await database.dispose()


async def _waiting(database: Database) -> int:
    unfinished = [OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING]
    async with database.read() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(unfinished))
        return int(await session.scalar(query) or 0)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
