"""Through a platform: ``/match now`` for 3,000 members on the Telegram stand-in while ``/healthz`` is polled every
20 ms and another member sends a command, on SQLite and PostgreSQL.

    python -m benchmarks.platform [--members N] [--databases sqlite,postgresql] [--pg-url URL]

The bot is a real ``icebreaker run`` in its own process (long polling, the HTTP server, delivery), configured
only through its environment, against a Bot API stand-in (``tests/telegram/stand_in.py``) served by this
process, which also plays the people: the organiser sends ``/match now``; 100 ms later a member sends
``/profile``; meanwhile ``GET /healthz`` is asked every 20 ms (each ask waits for the previous answer).
Prints the organiser's wait for the reply, the worst ``/healthz`` answer, and the member's wait.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time

import aiohttp

from benchmarks.community import build, intros_by_hand
from benchmarks.scratch import DEFAULT_PG, scratch_url
from bot.messages import Sender
from storage.database import Database
from tests.telegram.stand_in import TOKEN, StandIn, User

ORGANISER = User(42, "Olivia")
OTHER_MEMBER = 100_000 + 7  # one of the community's members (their ids count up from 100,000)
LIMIT = 120.0  # seconds: nothing here waits longer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_for(condition: object, what: str, within: float = LIMIT) -> float:
    deadline = time.perf_counter() + within
    while not condition():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        await asyncio.sleep(0.005)
    return time.perf_counter()


def _replied(stand_in: StandIn, chat_id: int, since: int, contains: str) -> bool:
    return any(
        call.method == "sendMessage" and call.chat_id == chat_id and contains in str(call.params.get("text", ""))
        for call in stand_in.calls[since:]
    )


async def _poll_health(url: str, stop: asyncio.Event, waits: list[float]) -> None:
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            asked = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
            waits.append(time.perf_counter() - asked)
            await asyncio.sleep(max(0.0, 0.020 - (time.perf_counter() - asked)))


async def case(url: str, members: int) -> dict[str, float]:
    database = Database(url)
    organiser = Sender("telegram", str(ORGANISER.id), ORGANISER.first_name)
    await build(database, members, platform="telegram", organiser=organiser)
    await intros_by_hand(database, organiser)
    await database.dispose()
    stand_in = StandIn()
    await stand_in.start()
    stand_in.add_user(ORGANISER)
    for n in range(members):
        stand_in.add_user(User(100_000 + n, f"Member {n}"))
    port = _free_port()
    environment = {
        **os.environ,
        "ICEBREAKER_DATABASE_URL": url,
        "ICEBREAKER_TELEGRAM_TOKEN": TOKEN,
        "ICEBREAKER_TELEGRAM_API_URL": stand_in.api_url,
        "ICEBREAKER_HTTP_PORT": str(port),
        "ICEBREAKER_LOG_LEVEL": "WARNING",
        "ICEBREAKER_TICK_SECONDS": "60",
    }
    with tempfile.TemporaryFile() as log:  # the bot's log: shown only if it fails
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "run", env=environment, stderr=log
        )
        health = f"http://127.0.0.1:{port}/healthz"
        try:
            await _wait_for(
                lambda: any(c.method == "getUpdates" for c in stand_in.calls) or bot.returncode is not None,
                "the bot to poll",
            )
            if bot.returncode is not None:
                log.seek(0)
                raise SystemExit(f"the bot did not start:\n{log.read().decode()[-3000:]}")
            stop, waits = asyncio.Event(), []
            poller = asyncio.create_task(_poll_health(health, stop, waits))
            await asyncio.sleep(0.5)  # a few quiet answers first
            since = len(stand_in.calls)
            asked = time.perf_counter()
            stand_in.queue(stand_in.message_update(ORGANISER, "/match now"))
            await asyncio.sleep(0.1)
            member_asked = time.perf_counter()
            stand_in.queue(stand_in.message_update(User(OTHER_MEMBER, "Member 7"), "/profile"))
            replied = await _wait_for(lambda: _replied(stand_in, ORGANISER.id, since, "is on its way"), "the reply")
            member_replied = await _wait_for(
                lambda: _replied(stand_in, OTHER_MEMBER, since, "Your profile"), "/profile"
            )
            await asyncio.sleep(0.3)
            stop.set()
            await poller
        finally:
            if bot.returncode is None:
                bot.terminate()
                try:
                    await asyncio.wait_for(bot.wait(), timeout=20)
                except TimeoutError:
                    bot.kill()
                    await bot.wait()
            await stand_in.stop()
    return {
        "reply_s": replied - asked,
        "healthz_worst_ms": max(waits) * 1000,
        "healthz_answers": len(waits),
        "member_wait_s": member_replied - member_asked,
    }


async def run(members: int, databases: list[str], pg_url: str) -> None:
    print(
        f"/match now for {members:,} members on the Telegram stand-in, /healthz every 20 ms, another member's /profile"
    )
    for backend in databases:
        async with scratch_url(None if backend == "sqlite" else pg_url) as url:
            figures = await case(url, members)
        print(
            f"  {backend:10} reply {figures['reply_s']:.2f} s (goal ≤3 s) | /healthz worst"
            f" {figures['healthz_worst_ms']:.0f} ms over {figures['healthz_answers']:.0f} answers (goal ≤250 ms)"
            f" | the other member waited {figures['member_wait_s']:.2f} s (goal ≤1 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.databases.split(","), args.pg_url))


if __name__ == "__main__":
    main()
