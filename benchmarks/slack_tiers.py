"""Slack's per-method tiers: a rush of joins and a matching round against a stand-in that enforces them with 429s.

    python -m benchmarks.slack_tiers                       # x10 faster tiers, 150 joins, a 400-member round
    python -m benchmarks.slack_tiers --scale 1             # Slack's real tiers (the round takes about 4 minutes)
    python -m benchmarks.slack_tiers --replicas 3 --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The real Bolt app, slack-sdk client, core, outbox and Delivery send to the Slack stand-in
(``tests.slack.stand_in``), which answers 429 with Retry-After to calls beyond each method's tier
(``adapters.slack.tiers``), ``--scale`` times faster on both sides. With ``--replicas``, that many adapters
and delivery workers (each its own database connections, as replicas are) share one budget in the database.

Prints, for the rush: joins welcomed of those sent and the 429s by method; for the round: the time from the
first conversations.open to the last intro against the tier-bound time (group DMs / Tier 3's rate), the 429s,
and the intros the stand-in received against the organiser's stats.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import func, select, update

from adapters.http import HttpServer
from adapters.slack import EVENTS_PATH, SlackAdapter, build
from adapters.slack.tiers import SLACK_METHODS, TIER_3, scaled
from benchmarks.community import build as community
from benchmarks.scratch import scratch_database
from bot.budget import SharedBudget
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Command, Sender
from bot.settings import Settings
from storage.database import Database
from storage.models import Member, OutboxMessage, OutboxStatus
from tests.slack.signed import SECRET, Slack
from tests.slack.stand_in import BOT_USER, TOKEN, SlackStandIn
from tests.slack.test_tiers import delivering, match_now

ORGANISER = Sender("slack", "UORGBENCH", "Olivia")


class TickingClock:
    """Real time from midday London, so nobody's quiet hours hold a message."""

    def __init__(self) -> None:
        self.start, self.began = datetime(2026, 11, 23, 12, 0, tzinfo=UTC), time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


class Replicas:
    """``count`` adapters with their delivery workers, each on its own engine, sharing the database's budget."""

    def __init__(self, url: str, api: SlackStandIn, count: int, scale: float) -> None:
        self.url, self.api, self.count, self.scale = url, api, count, scale
        self.clock = TickingClock()
        self.databases: list[Database] = []
        self.adapters: list[SlackAdapter] = []
        self.https: list[HttpServer] = []
        self.deliveries: list[Delivery] = []
        self.cores: list[Core] = []

    async def start(self) -> None:
        values = {"slack_bot_token": TOKEN, "slack_signing_secret": SECRET, "slack_api_url": self.api.url}
        settings = Settings(**values)  # type: ignore[arg-type]
        for n in range(self.count):
            database = Database(self.url)
            core = Core(database, self.clock, Policy(group_dm_platforms=frozenset({"slack"})), rng=random.Random(n))
            budget = SharedBudget(database, {})
            http = HttpServer("127.0.0.1", 0)
            adapter = build(settings, core, http, budget=budget, methods=scaled(SLACK_METHODS, self.scale))
            await http.start()
            await adapter.start()
            self.databases.append(database)
            self.cores.append(core)
            self.https.append(http)
            self.adapters.append(adapter)
            self.deliveries.append(Delivery(database, {"slack": adapter}, self.clock, budget=budget))

    def slack(self, n: int) -> Slack:
        return Slack(f"http://127.0.0.1:{self.https[n % self.count].port}{EVENTS_PATH}")

    def delivering(self) -> contextlib.AbstractAsyncContextManager[None]:
        return delivering(self.deliveries)

    async def stop(self) -> None:
        for adapter, http, database in zip(self.adapters, self.https, self.databases, strict=True):
            await adapter.stop()
            await http.stop()
            await database.dispose()


async def _eventually(condition: Callable[[], bool], within: float) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (other tasks' state, bounded)
            await asyncio.sleep(0.05)


async def _each(calls: list[Callable[[], Awaitable[object]]], concurrency: int = 25) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(call) for call in calls))


async def rush(url: str, joins: int, replicas: int, scale: float) -> None:
    api = SlackStandIn()
    await api.start()
    api.enforce(SLACK_METHODS, scale=scale)
    api.add_user(ORGANISER.user_id, "Olivia")
    async with scratch_database(url) as database:
        group = Replicas(database.url, api, replicas, scale)
        await group.start()
        reply = await group.cores[0].handle(Command(ORGANISER, "newevent", '"Rush" 2030-12-10 18:30 Europe/London'))
        code = reply[0].message.plain_text().split("Join code: ")[1].split()[0]
        await group.cores[0].handle(Command(ORGANISER, "poll", "Python, Hiking, Jazz"))
        users = [f"URUSH{n:05d}" for n in range(joins)]
        for user in users:
            api.add_user(user, f"Member {user[-5:]}")

        def welcomed(user: str) -> int:
            dm = api.dm_of(user)
            return sum("Choose my interests" in str(p["blocks"]) for p in (api.posts_to(dm) if dm else []))

        async with group.delivering():
            started = time.monotonic()
            await _each([partial(group.slack(n).command, user, f"join {code}") for n, user in enumerate(users)])
            sent_in = time.monotonic() - started
            with contextlib.suppress(TimeoutError):
                await _eventually(lambda: all(welcomed(u) for u in users), within=600 / min(scale, 10) + 60)
            took = time.monotonic() - started
        counts = [welcomed(u) for u in users]
        await group.stop()
    await api.stop()
    print(f"rush: {joins} /icebreaker join within {sent_in:.1f} s, tiers x{scale:g}, {replicas} replica(s)")
    print(f"  welcomed: {sum(1 for c in counts if c == 1)} of {joins} (doubled {sum(1 for c in counts if c > 1)},")
    print(f"  lost {sum(1 for c in counts if c == 0)}) in {took:.1f} s; 429s by method: {dict(api.too_many) or 'none'}")


async def round_(url: str, members: int, replicas: int, scale: float) -> None:
    api = SlackStandIn()
    await api.start()
    api.enforce(SLACK_METHODS, scale=scale)
    api.add_user(ORGANISER.user_id, "Olivia")
    async with scratch_database(url) as database:
        await community(database, members, platform="slack", organiser=ORGANISER, first_user=500_000)
        async with database.transaction() as session:
            await session.execute(update(Member).values(time_zone="Europe/London"))
            others = select(Member.platform_user_id).where(Member.platform_user_id != ORGANISER.user_id)
            for user in (await session.scalars(others)).all():
                api.add_user(user, f"Member {user}")
        group = Replicas(database.url, api, replicas, scale)
        await group.start()
        core = group.cores[0]
        await match_now(core, ORGANISER)
        async with database.read() as session:
            groups = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.address_kind == "group")
            )
        assert groups

        def introduced() -> int:
            posted = {where for (where, _) in api.messages if where.startswith("G")}
            return sum(len(api.channels[where] - {BOT_USER}) for where in posted)

        async with group.delivering():
            with contextlib.suppress(TimeoutError):
                await _eventually(lambda: introduced() >= members // 2, within=groups * 60 / (TIER_3 * scale) + 120)
        stats = (await core.handle(Command(ORGANISER, "stats")))[0].message.plain_text()
        half = re.search(r"Intros delivered: (\d+) of (\d+) matched", stats)
        paused_at, at_pause = time.monotonic(), introduced()

        async def unsent() -> list[tuple[str, str]]:
            async with database.read() as session:
                rows = await session.execute(
                    select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.status != OutboxStatus.SENT)
                )
                return [(key, status) for key, status in rows.all()]

        async with group.delivering():
            with contextlib.suppress(TimeoutError):
                await _eventually(lambda: introduced() >= (int(half.group(2)) if half else members), within=600)
            last_intro = time.monotonic()
            with contextlib.suppress(TimeoutError):  # and the organiser's report after the intros
                async with asyncio.timeout(30):
                    while await unsent():  # noqa: ASYNC110 (rows other tasks send, bounded)
                        await asyncio.sleep(0.1)
            report_after = time.monotonic() - last_intro
        stats = (await core.handle(Command(ORGANISER, "stats")))[0].message.plain_text()
        left = await unsent()
        await group.stop()
    await api.stop()
    opens, posts = api.admitted["conversations.open"], api.admitted["chat.postMessage"]
    before = max(t for t in posts if t < paused_at) - min(opens)
    after = max(posts) - min(t for t in opens if t > paused_at)
    elapsed, bound = before + after, len(opens) / (TIER_3 * scale / 60)  # every conversation it opens, at Tier 3
    print(f"round: {members} members, {groups} group DMs ({len(opens)} conversations.open), tiers x{scale:g},")
    print(f"  {replicas} replica(s)")
    print(f"  first open to last intro: {elapsed:.2f} s against a tier-bound {bound:.2f} s ({elapsed / bound:.1%}),")
    print(f"  i.e. {elapsed * scale:.1f} s at Slack's real tiers (bound {bound * scale:.1f} s)")
    print(f"  429s by method: {dict(api.too_many) or 'none'}; outbox rows not sent at the end: {left or 'none'}")
    print(f"  (the organiser's report was the last row, {report_after:.1f} s after the last intro)")
    print(f"  half-way, /stats said '{half.group(0) if half else '?'}'; the stand-in had {at_pause} members' intros")
    print(
        f"  at the end the stand-in had {introduced()}; /stats: {'Intros delivered' not in stats and 'all introduced'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="tiers this many times faster (1: Slack's)")
    parser.add_argument("--joins", type=int, default=150)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--pg-url", default=None, help="PostgreSQL (a scratch database beside it); default SQLite")
    args = parser.parse_args()
    asyncio.run(rush(args.pg_url, args.joins, args.replicas, args.scale))
    asyncio.run(round_(args.pg_url, args.members, args.replicas, args.scale))


if __name__ == "__main__":
    main()
