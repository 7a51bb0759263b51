"""GET /metrics through the real HTTP server: outbox and rounds read from the database, on both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from adapters.http import HttpServer
from adapters.metrics import Metrics, install
from bot.clock import ManualClock
from bot.messages import Action, ButtonPress, Command, FreeText, Incoming, Sender
from storage import outbox
from storage.database import Database
from storage.models import Event, OutboxMessage, Round

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(body: str) -> Samples:
    """A strict reader of the 0.0.4 text format: every sample belongs to a family declared with # TYPE."""
    assert body.endswith("\n")
    typed: set[str] = set()
    samples: Samples = {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:]
            assert kind in {"counter", "gauge"}
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        assert name in typed, f"{name} has no # TYPE line before it"
        pairs = LABEL.findall(labels or "")
        assert ",".join(f'{k}="{v}"' for k, v in pairs) == (labels or "")
        key = (name, frozenset(pairs))
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(value)
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@asynccontextmanager
async def serve(metrics: Metrics, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    http = HttpServer("127.0.0.1", 0)
    install(http, metrics, database)
    await http.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}") as client:
            yield client
    finally:
        await http.stop()


@pytest.fixture
async def client(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(Metrics(), database) as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def fill_outbox(database: Database, clock: ManualClock, statuses: dict[str, int]) -> None:
    """Queue rows through the storage layer, then move them to each status directly."""
    keys = [f"{status}:{n}" for status, count in statuses.items() for n in range(count)]
    async with database.transaction() as session:
        messages = [outbox.NewMessage(key, "telegram", "42", {"text": key}) for key in keys]
        assert await outbox.enqueue(session, messages, clock.now()) == len(keys)
        for status in statuses:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.key.startswith(f"{status}:")).values(status=status)
            )


async def add_rounds(database: Database, clock: ManualClock, count: int) -> None:
    async with database.transaction() as session:
        event = Event(
            name="Tweetup",
            starts_at=clock.now() + timedelta(days=7),
            time_zone="Europe/London",
            join_code=f"K7WQ{count}M",
            created_at=clock.now(),
        )
        session.add(event)
        await session.flush()
        session.add_all(Round(event_id=event.id, number=n, created_at=clock.now()) for n in range(1, count + 1))


async def test_an_empty_database_reports_every_status_at_zero(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    for status in ("queued", "sending", "sent", "failed", "unreachable", "uncertain"):
        assert value(samples, "icebreaker_messages", status=status) == 0
    assert value(samples, "icebreaker_rounds_total") == 0


async def test_outbox_statuses_and_rounds_are_read_from_the_database_at_each_scrape(
    client: httpx.AsyncClient, database: Database, clock: ManualClock
) -> None:
    counts = {"queued": 1, "sending": 2, "sent": 3, "failed": 1, "unreachable": 1, "uncertain": 2}
    await fill_outbox(database, clock, counts)
    await add_rounds(database, clock, 2)

    samples = await scrape(client)
    for status, count in counts.items():
        assert value(samples, "icebreaker_messages", status=status) == count
    assert value(samples, "icebreaker_rounds_total") == 2

    async with database.transaction() as session:
        moved = update(OutboxMessage).where(OutboxMessage.status == "sending").values(status="sent")
        await session.execute(moved)
    samples = await scrape(client)
    assert value(samples, "icebreaker_messages", status="sending") == 0
    assert value(samples, "icebreaker_messages", status="sent") == 5
    assert value(samples, "icebreaker_messages", status="uncertain") == 2


async def test_inbound_events_and_connections_are_counted_in_process(sqlite_database: Database) -> None:
    from datetime import UTC, datetime

    from bot.clock import ManualClock
    from bot.context import Policy
    from bot.core import Core

    metrics = Metrics()
    core = Core(sqlite_database, ManualClock(datetime(2026, 11, 23, tzinfo=UTC)), Policy(), observe=metrics.observe)
    seen: list[list[Action]] = []

    async def counted(incoming: Incoming) -> None:
        seen.append(await core.handle(incoming))

    alice = Sender("telegram", "1", "Alice")
    bob = Sender("slack", "U2", "Bob")
    for incoming in (Command(alice, "help"), Command(alice, "join", "K7WQ2M"), ButtonPress(alice, "interests")):
        await counted(incoming)
    await counted(FreeText(bob, "hello"))
    metrics.count_inbound('we"ird\\', "text")
    metrics.set_connected("telegram", True)
    metrics.set_connected("slack", True)
    metrics.set_connected("slack", False)

    async def broken() -> bool:
        raise ConnectionError("socket closed")

    metrics.watch_connected("console", broken)
    assert len(seen) == 4 and all(seen)  # each was handled (and answered) by the core, refusals included

    async with serve(metrics, sqlite_database) as client:
        samples = await scrape(client)
    inbound = "icebreaker_inbound_events_total"
    assert value(samples, inbound, platform="telegram", kind="command") == 2
    assert value(samples, inbound, platform="telegram", kind="button") == 1
    assert value(samples, inbound, platform="slack", kind="text") == 1
    assert value(samples, inbound, platform='we\\"ird\\\\', kind="text") == 1
    assert value(samples, "icebreaker_adapter_connected", platform="telegram") == 1
    assert value(samples, "icebreaker_adapter_connected", platform="slack") == 0
    assert value(samples, "icebreaker_adapter_connected", platform="console") == 0


async def test_an_unreadable_database_answers_503(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'no-schema.db'}")
    try:
        async with serve(Metrics(), database) as client:
            response = await client.get("/metrics")
        assert response.status_code == 503
    finally:
        await database.dispose()
