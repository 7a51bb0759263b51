"""A replica for the race tests: one process, its own engine and core, pressing one button when told.

Usage: python -m tests.meetings.race_worker DATABASE_URL NOW_ISO USER_ID ACTION VALUE
It connects and warms up, prints "ready", waits for "go" on stdin, handles the press, and prints the reply.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from datetime import datetime

from sqlalchemy import text

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import ButtonPress
from storage.database import Database
from tests.fakes import person


async def main(url: str, now: str, user: str, action: str, value: str) -> None:
    database = Database(url)
    core = Core(database, ManualClock(datetime.fromisoformat(now)), Policy(), rng=random.Random(1))
    async with database.transaction() as session:  # the connection is open before the race starts
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    actions = await core.handle(ButtonPress(person(user), action, value))
    print(json.dumps([a.message.plain_text() for a in actions]), flush=True)
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
