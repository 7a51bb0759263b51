"""``icebreaker run``: every configured adapter, the delivery loop and the HTTP server in one asyncio process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

from adapters.http import HttpServer
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.port import Platform
from bot.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)


class Adapter(Platform, Protocol):
    """A platform adapter: the core's outbound port plus a lifecycle."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Wakeup:
    """Lets the core nudge the delivery loop as soon as something is queued."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def __call__(self) -> None:
        self.event.set()


def configured_adapters(settings: Settings, core: Core, http: HttpServer) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_token is not None:
        from adapters.telegram import build as build_telegram

        adapters.append(build_telegram(settings, core, http))
    if settings.slack_bot_token is not None:
        from adapters.slack import build as build_slack

        adapters.append(build_slack(settings, core, http))
    return adapters


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM)."""
    database = Database(settings.database_url)
    await database.check_schema()
    clock = SystemClock()
    wakeup = Wakeup()
    core = Core(database, clock, Policy(settings.organisers), on_queued=wakeup)
    http = HttpServer(settings.http_host, settings.http_port)
    adapters = configured_adapters(settings, core, http)
    delivery = Delivery(database, {adapter.name: adapter for adapter in adapters}, clock)
    uncertain = await delivery.recover()
    if uncertain:
        log.warning("outbox rows left mid-send by a previous process marked uncertain", extra={"count": uncertain})
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    http.add_health_check("database", lambda: _database_ok(database))
    await http.start()
    for adapter in adapters:
        await adapter.start()
    log.info("icebreaker running", extra={"adapters": [a.name for a in adapters], "port": http.port})
    deliverer = asyncio.create_task(_deliver_forever(delivery, wakeup, stop))
    try:
        await stop.wait()
    finally:
        deliverer.cancel()
        for adapter in reversed(adapters):
            await adapter.stop()
        await http.stop()
        await database.dispose()


async def _deliver_forever(delivery: Delivery, wakeup: Wakeup, stop: asyncio.Event) -> None:
    while not stop.is_set():
        wakeup.event.clear()
        try:
            await delivery.run_once()
        except Exception:
            log.exception("delivery round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.event.wait(), timeout=1.0)


async def _database_ok(database: Database) -> bool:
    await database.current_revision()
    return True
