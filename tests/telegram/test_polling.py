"""Long polling specifics: the command menu, duplicates, invitations, names shown as typed."""

from __future__ import annotations

import pytest

from adapters.http import HttpServer
from adapters.runtime import configured_adapters
from adapters.telegram import TelegramAdapter, file_url
from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from tests.telegram.conftest import Telegram, telegram_settings, texts
from tests.telegram.stand_in import BOT, TOKEN, StandIn, User
from tests.telegram.test_conversation import OLIVIA, assert_every_call_valid, create_event


async def test_command_menu_is_the_whole_vocabulary(telegram: Telegram, sqlite_core: Core, stand_in: StandIn) -> None:
    assert stand_in.commands is not None
    assert [c["command"] for c in stand_in.commands] == list(sqlite_core.router.commands)
    assert {c["command"]: c["description"] for c in stand_in.commands}["join"] == "join an event by its code"
    assert stand_in.calls_of("deleteWebhook"), "polling starts by making sure no webhook is set"


async def test_health_follows_polling(telegram: Telegram, stand_in: StandIn) -> None:
    assert await telegram.adapter.healthy()
    assert telegram.adapter.application.bot.base_file_url == f"http://127.0.0.1:{stand_in.port}/file/bot{TOKEN}"
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"


async def test_the_runtime_builds_this_adapter(stand_in: StandIn, sqlite_core: Core) -> None:
    [adapter] = configured_adapters(telegram_settings(stand_in), sqlite_core, HttpServer("127.0.0.1", 0))
    assert isinstance(adapter, TelegramAdapter)
    assert (adapter.name, adapter.supports_group_dm, adapter.webhook_url) == ("telegram", False, None)


async def test_a_duplicate_update_is_processed_once(telegram: Telegram, stand_in: StandIn) -> None:
    update = stand_in.message_update(OLIVIA, "/help")
    stand_in.queue(update)
    stand_in.queue(update)  # re-delivered with the same update_id: the inbox's unique key drops it
    await telegram.say(OLIVIA, "/help")  # the same chat's updates are handled in order: both came before this
    assert telegram.processed.count(update["update_id"]) == 1
    assert len(stand_in.calls_of("sendMessage", OLIVIA.id)) == 2


async def test_commands_for_another_bot_are_ignored(telegram: Telegram, stand_in: StandIn) -> None:
    group = stand_in.add_group(-4001, "Mixer chat")
    assert await telegram.say(OLIVIA, "/help@SomeOtherBot", group) == []
    assert await telegram.say(OLIVIA, "hello all", group) == []
    assert "What I can do" in texts(await telegram.say(OLIVIA, f"/help@{BOT['username']}", group))[0]


async def test_invitation_brings_a_deep_link_and_a_qr_code(telegram: Telegram, stand_in: StandIn) -> None:
    code = await create_event(telegram)
    calls = await telegram.say(OLIVIA, "/invite")
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    link = f"https://t.me/{BOT['username']}?start={code}"
    assert calls[0].params["text"].endswith(f"Join with one tap: {link}")
    [qr] = calls[1].files.values()
    assert qr.startswith(b"\x89PNG\r\n\x1a\n") and code in calls[1].params["caption"]
    member = User(201, "Ann")
    assert "Welcome to Tech Mixer" in texts(await telegram.say(member, f"/start {code}"))[0]  # what the link sends


async def test_names_are_shown_as_typed(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    mallory = User(150, "<b>x</b>", "*_[`", username=None)
    code = await create_event_as(telegram, mallory)
    await telegram.say(User(201, "Ann"), f"/join {code}")
    await telegram.broadcast(mallory, "<i>hi</i> *there* [link](http://x)")
    await Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock).run_once()
    received = stand_in.bot_messages(201)[-1]
    assert received["text"] == "📣 Tech Mixer — from <b>x</b> *_[`\n<i>hi</i> *there* [link](http://x)"
    assert [e["type"] for e in received["entities"]] == ["bold", "italic"]
    assert_every_call_valid(stand_in, {150, 201})


async def create_event_as(telegram: Telegram, organiser: User) -> str:
    calls = await telegram.say(organiser, '/newevent "Tech Mixer" 2026-12-10 18:30 Europe/London')
    await telegram.say(organiser, "/poll Python, Hiking")
    return texts(calls)[0].split("Join code: ")[1].split()[0]


async def test_an_update_ptb_cannot_read_does_not_block_polling(
    telegram: Telegram, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """PTB refuses a whole getUpdates batch when one update in it is unreadable; the offset must still move on,
    or that update comes back for ever and nothing after it is ever handled."""
    update_id = stand_in.message_update(OLIVIA, "/help")["update_id"]  # an id before the next update's
    unreadable = stand_in.queue({"update_id": update_id, "message": {"text": "no date, no chat"}})
    [answer] = texts(await telegram.say(OLIVIA, "/help"))  # was: "condition not met in time" (polling stuck)
    assert "What I can do" in answer
    assert unreadable not in telegram.processed
    assert "python-telegram-bot cannot read" in caplog.text
