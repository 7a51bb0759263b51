"""``icebreaker run``: every configured adapter, the campaign, delivery and the HTTP server in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from dataclasses import dataclass
from typing import Protocol

from adapters import dashboard
from adapters.http import HttpServer
from adapters.metrics import Metrics, install
from adapters.schema import ready_schema
from bot.budget import SharedBudget
from bot.campaign.runner import CampaignRunner
from bot.clock import Clock, SystemClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.intros.solver_process import warm_up
from bot.port import Platform
from bot.ratelimit import SLACK_LIMITS, TELEGRAM_LIMITS
from bot.retention import prune_inbox
from bot.scheduler import Ticker
from bot.services.dashboard.service import Dashboard
from bot.services.dashboard.signin import DashboardLinks, signing_key
from bot.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)

LIMITS = {"telegram": TELEGRAM_LIMITS, "slack": SLACK_LIMITS}
# What the shared budget paces for the outbox itself; the Slack adapter paces each Web API method by its tier
# through the same budget (adapters/slack/pacing.py), so the outbox adds no Slack limit of its own.
BUDGET_LIMITS = {"telegram": TELEGRAM_LIMITS}
SHUTDOWN_GRACE = 20.0  # seconds for the send in progress at SIGTERM


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


def configured_adapters(
    settings: Settings, core: Core, http: HttpServer, budget: SharedBudget | None = None
) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_token is not None:
        from adapters.telegram import build as build_telegram

        adapters.append(build_telegram(settings, core, http, budget=budget))
    if settings.slack_bot_token is not None:
        from adapters.slack import build as build_slack

        adapters.append(build_slack(settings, core, http, budget=budget))
    return adapters


@dataclass
class Running:
    """What ``serve`` built, for tests that drive a running process."""

    core: Core
    http: HttpServer
    adapters: list[Adapter]
    delivery: Delivery


class PlatformUnreachable(Exception):
    """A platform could not be reached (or refused the credentials) at start-up."""

    def __init__(self, platform: str, error: BaseException) -> None:
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        super().__init__(
            f"Could not start {platform}: {detail}. Check its token and that its API can be reached from here."
        )


class CannotListen(Exception):
    """The HTTP server's address is taken (another process on ICEBREAKER_HTTP_PORT) or not ours to bind."""

    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(
            f"Could not listen on {host}:{port}: {error.strerror or error}. Stop what uses it, or set "
            "ICEBREAKER_HTTP_PORT (or ICEBREAKER_HTTP_HOST) to a free one."
        )


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    started: asyncio.Queue[Running] | None = None,
    clock: Clock | None = None,
) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM). ``clock``: the wall clock unless a test moves its own."""
    database = Database(settings.database_url)
    await ready_schema(settings, database)
    clock = clock or SystemClock()
    wakeup = Wakeup()
    platforms_with_group_dm = frozenset({"slack"}) if settings.slack_bot_token is not None else frozenset()
    policy = Policy(settings.organisers, platforms_with_group_dm)
    metrics = Metrics()
    http = HttpServer(settings.http_host, settings.http_port)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    links = DashboardLinks(
        await signing_key(secret, database, clock), lambda: settings.public_url or dashboard.local_url(http)
    )
    core = Core(database, clock, policy, on_queued=wakeup, observe=metrics.observe, links=links)
    dashboard.build(settings, Dashboard(database, clock, links, on_queued=wakeup), http)
    budget = SharedBudget(database, BUDGET_LIMITS)  # one per platform account, across replicas, replies included
    adapters = configured_adapters(settings, core, http, budget)
    install(http, metrics, database)
    http.add_health_check("database", lambda: _database_ok(database))
    delivery = Delivery(database, {a.name: a for a in adapters}, clock, limits=LIMITS, budget=budget)
    await delivery.recover()  # logs a line for each row it marks uncertain
    await warm_up()  # the matcher's fork server, so that the first round does not start it
    campaign = CampaignRunner(database, clock, policy)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await http.start()
    except OSError as error:
        await database.dispose()
        raise CannotListen(settings.http_host, settings.http_port, error) from None
    for number, adapter in enumerate(adapters):
        try:
            await adapter.start()
        except Exception as error:  # the start-up boundary: one line for the operator, not a traceback
            for started_one in reversed(adapters[:number]):
                with contextlib.suppress(Exception):
                    await started_one.stop()
            await http.stop()
            await database.dispose()
            raise PlatformUnreachable(adapter.name, error) from error
        healthy = getattr(adapter, "healthy", None)
        if healthy is not None:
            metrics.watch_connected(adapter.name, healthy)
        else:
            metrics.set_connected(adapter.name, True)
    ticker = Ticker(seconds=settings.tick_seconds)
    ticker.every("campaign", lambda: _campaign_then_wake(campaign, wakeup))
    ticker.every("inbox retention", lambda: prune_inbox(database, clock))  # any replica, several at once: safe
    ticker.start()
    # What boot built (modules, classes, the router, the adapters) lives as long as the process: keep it out of
    # every later garbage collection, whose full passes over it paused the loop for 100-400 ms in a round.
    gc.freeze()
    log.info("icebreaker running", extra={"adapters": [a.name for a in adapters], "port": http.port})
    deliverer = asyncio.create_task(_deliver_forever(delivery, wakeup, stop, settings.tick_seconds))
    if started is not None:
        started.put_nowait(Running(core, http, adapters, delivery))
    try:
        await stop.wait()
    finally:
        await _shut_down(adapters, ticker, delivery, deliverer, wakeup)
        await http.stop()
        await database.dispose()


async def _shut_down(
    adapters: list[Adapter], ticker: Ticker, delivery: Delivery, deliverer: asyncio.Task[None], wakeup: Wakeup
) -> None:
    """SIGTERM: stop accepting (Telegram's webhook answers 503 and polling stops; what was accepted is already
    in the inbox), let the send in progress finish and hand the rest of the batch back, then stop the adapters
    (each finishes the update in hand; the others stay in the inbox for another replica)."""
    for adapter in adapters:
        stop_accepting = getattr(adapter, "stop_accepting", None)
        if stop_accepting is not None:
            await stop_accepting()
    ticker.stop()
    delivery.stop()
    wakeup.event.set()
    try:
        async with asyncio.timeout(SHUTDOWN_GRACE):
            await deliverer
    except TimeoutError:
        log.warning("delivery still busy at shutdown; its rows return when their lease runs out")
        deliverer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await deliverer
    for adapter in reversed(adapters):
        await adapter.stop()


async def _campaign_then_wake(campaign: CampaignRunner, wakeup: Wakeup) -> None:
    if await campaign.run_due():
        await wakeup()


async def _deliver_forever(delivery: Delivery, wakeup: Wakeup, stop: asyncio.Event, idle_seconds: float) -> None:
    """Deliver whenever the core queues something, and at least every ``idle_seconds`` (retries, other replicas)."""
    while not stop.is_set():
        wakeup.event.clear()
        try:
            await delivery.run_once()
        except Exception:
            log.exception("delivery round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.event.wait(), timeout=idle_seconds)


async def _database_ok(database: Database) -> bool:
    await database.current_revision()
    return True
