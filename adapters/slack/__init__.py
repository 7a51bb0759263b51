"""Slack: Bolt (async) for what comes in, the Web API for what goes out. See SETUP.md to create the app."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from adapters.http import HttpServer
from adapters.slack.adapter import EVENTS_PATH, SlackAdapter
from adapters.slack.listeners import Core
from adapters.slack.pacing import Pacer
from adapters.slack.tiers import SLACK_METHODS, MethodLimit
from bot.budget import SharedBudget
from bot.core import Core as RealCore
from bot.inbound import Inbound
from bot.messages import Address, Message
from bot.settings import Settings, SettingsError
from storage import outbox
from storage.outbox import NewMessage

API_TIMEOUT = 10  # seconds for one Web API call; a timeout is a transient delivery error

__all__ = ["EVENTS_PATH", "SlackAdapter", "build"]


def _to_outbox(core: RealCore) -> Callable[[Address, Message, float], Awaitable[None]]:
    """An answer Slack refused with a 429 waits in the outbox for its ``Retry-After`` instead of being dropped."""

    async def later(address: Address, message: Message, retry_after: float) -> None:
        now = core.clock.now()
        row = NewMessage(
            f"reply:slack:{uuid.uuid4().hex}",
            address.platform,
            address.user_id,
            message.to_dict(),
            not_before=now + timedelta(seconds=retry_after),
        )
        async with core.database.transaction() as session:
            await outbox.enqueue(session, [row], now)

    return later


def build(
    settings: Settings,
    core: Core,
    http: HttpServer,
    *,
    budget: SharedBudget | None = None,
    methods: Mapping[str, MethodLimit] = SLACK_METHODS,
) -> SlackAdapter:
    """The adapter for these settings; in HTTP mode its endpoint is added to ``http`` (before it starts).
    ``budget``: the send budget shared by every replica, where each Web API method is paced by its tier
    (``methods``: Slack's published limits; a test or benchmark may pass them scaled)."""
    if settings.slack_bot_token is None:
        raise SettingsError("ICEBREAKER_SLACK_BOT_TOKEN is not set")
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if app_token is None and not secret:
        raise SettingsError(
            "ICEBREAKER_SLACK_SIGNING_SECRET is required in HTTP mode "
            "(or set ICEBREAKER_SLACK_APP_TOKEN to use Socket Mode)"
        )
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        timeout=API_TIMEOUT,
        retry_handlers=[],  # no silent retries: 429s, timeouts and 5xx go back to the outbox as outcomes
    )
    # The real core brings its database, where events wait in the inbox; a test's recording core has none.
    inbound = Inbound(core.database, core.clock) if isinstance(core, RealCore) else None
    later = _to_outbox(core) if isinstance(core, RealCore) else None
    pacer = Pacer(budget, methods) if budget is not None else None
    adapter = SlackAdapter(
        core, client, signing_secret=secret, app_token=app_token, inbound=inbound, later=later, pacer=pacer
    )
    if adapter.mode == "http":
        adapter.mount(http)
    http.add_health_check("slack", adapter.healthy)
    return adapter
