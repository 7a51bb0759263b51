"""Fixtures: the Bot API stand-in, and the real adapter (real PTB Application) talking to it.

``Telegram.say`` / ``Telegram.press`` queue an update and wait until PTB has finished processing it: a
handler in a later PTB handler group records each processed update id, and PTB runs groups in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from adapters.http import HttpServer
from adapters.telegram import TelegramAdapter, build
from bot.core import Core
from bot.settings import Settings
from tests.telegram.stand_in import TOKEN, Call, StandIn, User


def telegram_settings(stand_in: StandIn, **extra: Any) -> Settings:
    return Settings(
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=stand_in.api_url,
        database_url="sqlite:///unused.db",
        **extra,
    )


class Telegram:
    """The adapter under test, the stand-in, and the users' side of the conversation."""

    def __init__(self, stand_in: StandIn, adapter: TelegramAdapter, http: HttpServer) -> None:
        self.stand_in = stand_in
        self.adapter = adapter
        self.http = http
        self.processed: list[int] = []
        adapter.application.add_handler(TypeHandler(Update, self._processed), group=1)

    async def _processed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.processed.append(update.update_id)

    async def wait_processed(self, update_id: int) -> None:
        await self.stand_in.wait_for(lambda: update_id in self.processed)

    async def deliver(self, update: dict[str, Any]) -> list[Call]:
        """Queue an update for long polling; the calls the bot made while processing it."""
        before = len(self.stand_in.calls)
        await self.wait_processed(self.stand_in.queue(update))
        return [c for c in self.stand_in.calls[before:] if c.method != "getUpdates"]

    async def say(self, user: User, text: str, chat: dict[str, Any] | None = None) -> list[Call]:
        return await self.deliver(self.stand_in.message_update(user, text, chat))

    async def match_now(self, user: User) -> list[Call]:
        """``/match now``, and its "Yes, send round N" when it asks first; the calls of the round."""
        asked = await self.say(user, "/match now")
        if not any("Send round" in text for text in texts(asked)):
            return asked
        question = self.stand_in.bot_messages(user.id)[-1]
        number = question["text"].rsplit("Send round ", 1)[1].split(" ", 1)[0]
        return await self.press(user, question, f"Yes, send round {number}")

    async def broadcast(self, user: User, args: str) -> list[Call]:
        """``/broadcast ARGS``: the preview comes back with Send, Edit and Cancel; press Send. The calls of Send."""
        [preview] = texts(await self.say(user, f"/broadcast {args}"))
        assert preview.startswith("Preview of your broadcast"), preview
        return await self.press(user, self.stand_in.bot_messages(user.id)[-1], "Send")

    async def press(self, user: User, message: dict[str, Any], label: str) -> list[Call]:
        """Press the button labelled ``label`` (or whose label ends with it) on a stored bot message."""
        data = button_data(message, label)
        return await self.deliver(
            self.stand_in.callback_update(user, message["chat"]["id"], message["message_id"], data)
        )


def button_data(message: dict[str, Any], label: str) -> str:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if (button["text"] == label or button["text"].endswith(" " + label)) and "callback_data" in button:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} on {message.get('text')!r}")


def texts(calls: list[Call], method: str = "sendMessage") -> list[str]:
    return [c.params["text"] for c in calls if c.method == method and c.status == 200]


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    server = StandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def telegram(stand_in: StandIn, sqlite_core: Core) -> AsyncIterator[Telegram]:
    """The adapter in long-polling mode on the real core (SQLite), started and stopped around the test."""
    http = HttpServer("127.0.0.1", 0)
    adapter = build(telegram_settings(stand_in), sqlite_core, http)
    harness = Telegram(stand_in, adapter, http)
    await adapter.start()
    yield harness
    await adapter.stop()
