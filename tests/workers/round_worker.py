"""A process that runs ``/match now`` as the organiser, for the test that kills it half-way through the round.

Usage: python -m tests.workers.round_worker DATABASE_URL JOIN_CODE
"""

from __future__ import annotations

import asyncio
import sys

from benchmarks.community import ORGANISER
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Command
from storage.database import Database


async def main(url: str, code: str) -> None:
    database = Database(url)
    core = Core(database, SystemClock(), Policy())
    await core.handle(Command(ORGANISER, "event", code))
    reply = await core.handle(Command(ORGANISER, "match", "now"))
    print(reply[0].message.plain_text())
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
