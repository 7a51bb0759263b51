"""The Slack adapter wired for tests: the stand-in Web API, the real HttpServer on port 0, signed requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from adapters.http import HttpServer
from adapters.slack import EVENTS_PATH, SlackAdapter, build
from bot.core import Core
from bot.messages import Action, Incoming
from bot.settings import Settings
from tests.slack.signed import SECRET, Slack
from tests.slack.stand_in import TOKEN, SlackStandIn


@dataclass
class Harness:
    adapter: SlackAdapter
    http: HttpServer
    slack: Slack
    api: SlackStandIn

    async def settle(self, within: float = 5.0) -> None:
        """Wait (bounded) until every listener has finished what it does after its ack."""
        async with asyncio.timeout(within):
            await self.adapter.idle()


@dataclass
class RecordingCore:
    """A core that records what it is given; ``gate`` (when set) holds every call until it opens."""

    seen: list[Incoming] = field(default_factory=list)
    gate: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, incoming: Incoming) -> list[Action]:
        self.seen.append(incoming)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return []


def slack_settings(api: SlackStandIn, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": api.url,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def api() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def _harness(core: object, api: SlackStandIn) -> AsyncIterator[Harness]:
    http = HttpServer("127.0.0.1", 0)
    adapter = build(slack_settings(api), core, http)  # type: ignore[arg-type]
    await http.start()
    await adapter.start()
    try:
        yield Harness(adapter, http, Slack(f"http://127.0.0.1:{http.port}{EVENTS_PATH}"), api)
    finally:
        await adapter.stop()
        await http.stop()


@pytest.fixture
async def slack(sqlite_core: Core, api: SlackStandIn) -> AsyncIterator[Harness]:
    """The adapter on the real core (SQLite)."""
    async for harness in _harness(sqlite_core, api):
        yield harness


@pytest.fixture
def recording_core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def recorded(recording_core: RecordingCore, api: SlackStandIn) -> AsyncIterator[Harness]:
    """The adapter on a core that only records what reaches it."""
    async for harness in _harness(recording_core, api):
        yield harness
