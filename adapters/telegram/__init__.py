"""The Telegram adapter: ``build(settings, core, http)`` gives the platform port plus its lifecycle."""

from __future__ import annotations

import hashlib
import hmac

from telegram.ext import ApplicationBuilder

from adapters.http import HttpServer
from adapters.telegram.adapter import PLATFORM, WEBHOOK_PATH, TelegramAdapter
from bot.budget import SharedBudget
from bot.core import Core
from bot.settings import Settings

__all__ = ["TelegramAdapter", "build"]


def file_url(api_url: str) -> str:
    """The file URL that goes with an API URL: ``…/bot`` becomes ``…/file/bot`` (as api.telegram.org does)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base.removesuffix("/bot") + "/file/bot"
    return base + "/file"


def webhook_secret(settings: Settings, token: str) -> str:
    """The configured secret, or one derived from the token (stable across restarts and replicas)."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    return hmac.new(token.encode(), b"icebreaker telegram webhook", hashlib.sha256).hexdigest()


def build(settings: Settings, core: Core, http: HttpServer, *, budget: SharedBudget | None = None) -> TelegramAdapter:
    """The adapter for ``icebreaker run``; routes and checks go on ``http`` now, before it starts serving.
    ``budget``: the send budget shared with the outbox, which answers to commands wait for."""
    if settings.telegram_token is None:
        raise ValueError("ICEBREAKER_TELEGRAM_TOKEN is not set")
    token = settings.telegram_token.get_secret_value()
    webhook = settings.telegram_webhook_url
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .job_queue(None)
        .write_timeout(20)
        .updater(None)  # the adapter polls itself, recording before it confirms an offset
    )
    adapter = TelegramAdapter(
        core,
        builder.build(),
        webhook_url=webhook,
        webhook_secret=webhook_secret(settings, token) if webhook else None,
        budget=budget,
    )
    if webhook is not None:
        http.add_route(WEBHOOK_PATH, adapter.webhook, methods=["POST"])
    http.add_health_check(PLATFORM, adapter.healthy)
    return adapter
