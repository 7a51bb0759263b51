"""Webhook mode: updates arrive by POST on the project's own HTTP server, guarded by the secret token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from adapters.http import HttpServer
from adapters.telegram import build
from adapters.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from bot.core import Core
from bot.inbound import Inbound
from storage.models import InboxUpdate
from tests.telegram.conftest import Telegram, telegram_settings
from tests.telegram.stand_in import StandIn, User

PUBLIC_URL = "https://bot.example.test/telegram/webhook"
SECRET = "s3cret-Token_for-tests"
ANN, BEN = User(201, "Ann", username="ann_able"), User(202, "Ben")


@pytest.fixture
async def hooked(stand_in: StandIn, sqlite_core: Core) -> AsyncIterator[Telegram]:
    http = HttpServer("127.0.0.1", 0)
    settings = telegram_settings(stand_in, telegram_webhook_url=PUBLIC_URL, telegram_webhook_secret=SECRET)
    adapter = build(settings, sqlite_core, http)
    harness = Telegram(stand_in, adapter, http)
    await http.start()
    await adapter.start()
    yield harness
    await adapter.stop()
    await http.stop()


async def post(telegram: Telegram, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    url = f"http://127.0.0.1:{telegram.http.port}{WEBHOOK_PATH}"
    async with aiohttp.ClientSession() as session, session.post(url, data=json.dumps(update), headers=headers) as r:
        return r.status


async def test_webhook_is_registered_with_the_secret(hooked: Telegram, stand_in: StandIn) -> None:
    assert stand_in.webhook["url"] == PUBLIC_URL
    assert stand_in.webhook["secret_token"] == SECRET
    assert stand_in.webhook["allowed_updates"] == ["message", "callback_query"]
    assert not stand_in.calls_of("getUpdates") and not stand_in.calls_of("deleteWebhook")
    assert stand_in.commands is not None
    url = f"http://127.0.0.1:{hooked.http.port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200 and (await response.json())["checks"] == {"telegram": True}


async def test_update_with_the_secret_is_processed(hooked: Telegram, stand_in: StandIn) -> None:
    update = stand_in.message_update(ANN, "/start")
    assert await post(hooked, update) == 200
    await hooked.wait_processed(update["update_id"])
    [reply] = stand_in.calls_of("sendMessage", ANN.id)
    assert reply.params["text"].startswith("Hi! I'm Icebreaker.")


async def test_without_the_secret_nothing_is_processed(hooked: Telegram, stand_in: StandIn) -> None:
    forged = [stand_in.message_update(BEN, "/start") for _ in range(3)]
    assert await post(hooked, forged[0], secret=None) == 403
    assert await post(hooked, forged[1], secret="wrong") == 403
    assert await post(hooked, forged[2], secret=SECRET + "x") == 403
    genuine = stand_in.message_update(ANN, "/start")
    assert await post(hooked, genuine) == 200
    await hooked.wait_processed(genuine["update_id"])  # updates are processed in order: the forged would be first
    assert hooked.processed == [genuine["update_id"]]
    assert stand_in.calls_of("sendMessage", BEN.id) == []


async def test_a_retried_delivery_is_processed_once(hooked: Telegram, stand_in: StandIn) -> None:
    update = stand_in.message_update(ANN, "/start")
    assert await post(hooked, update) == 200
    assert await post(hooked, update) == 200  # Telegram retries when it did not see our answer in time
    later = stand_in.message_update(ANN, "/help")
    assert await post(hooked, later) == 200
    await hooked.wait_processed(later["update_id"])  # one chat's updates are handled in order
    assert hooked.processed == [update["update_id"], later["update_id"]]  # the retry was dropped by the key
    assert len(stand_in.calls_of("sendMessage", ANN.id)) == 2


async def test_malformed_body_is_refused(hooked: Telegram) -> None:
    url = f"http://127.0.0.1:{hooked.http.port}{WEBHOOK_PATH}"
    async with aiohttp.ClientSession() as session:
        for body in (b"{not json", b"[]", b"{}", b'{"update_id": "1"}'):
            async with session.post(url, data=body, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
        async with session.get(url, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 405


async def test_an_update_ptb_cannot_read_is_acknowledged_and_logged(
    hooked: Telegram, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram resends anything not answered 200, for ever: an unreadable update is dropped, with a log line."""
    unreadable = {"update_id": 77, "message": {"text": "no date, no chat"}}
    assert await post(hooked, unreadable) == 200
    assert "python-telegram-bot cannot read" in caplog.text
    genuine = stand_in.message_update(ANN, "/start")
    assert await post(hooked, genuine) == 200
    await hooked.wait_processed(genuine["update_id"])
    assert hooked.processed == [genuine["update_id"]]


async def test_the_update_is_recorded_before_the_200(hooked: Telegram, stand_in: StandIn) -> None:
    """The 200 means "committed": with the inbox worker stopped, the update waits in the inbox (a replica that
    died right after answering would leave it there for another), and is handled once a worker runs."""
    await hooked.adapter.inbound.stop()
    update = stand_in.message_update(ANN, "/start")
    assert await post(hooked, update) == 200
    async with hooked.adapter.core.database.read() as session:
        [row] = (await session.scalars(select(InboxUpdate))).all()
    assert (row.external_id, row.status, row.chat) == (str(update["update_id"]), "queued", str(ANN.id))
    other = Inbound(hooked.adapter.core.database, hooked.adapter.core.clock, worker_id="another-replica")
    other.register("telegram", hooked.adapter.inbound.handlers["telegram"])
    assert await other.run_once() == 1
    assert hooked.processed == [update["update_id"]]
    [reply] = stand_in.calls_of("sendMessage", ANN.id)
    assert reply.params["text"].startswith("Hi! I'm Icebreaker.")


async def test_while_stopping_the_webhook_refuses_so_telegram_keeps_the_update(
    hooked: Telegram, stand_in: StandIn
) -> None:
    await hooked.adapter.stop()
    assert await post(hooked, stand_in.message_update(ANN, "/start")) == 503
    await hooked.adapter.start()  # the fixture stops it again


async def test_a_secret_is_derived_when_none_is_configured(stand_in: StandIn, sqlite_core: Core) -> None:
    http = HttpServer("127.0.0.1", 0)
    adapter = build(telegram_settings(stand_in, telegram_webhook_url=PUBLIC_URL), sqlite_core, http)
    await adapter.start()
    try:
        secret = stand_in.webhook["secret_token"]
        assert len(secret) == 64 and secret == adapter.webhook_secret
    finally:
        await adapter.stop()
