"""Across platforms, introduced members can always reach each other: the bot passes a message on, after the
sender has seen it and said Send, and the partner answers the same way. Only within one introduction."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.commands.relay import RELAY_LIMIT
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, ButtonPress, FreeText, Message, Sender
from storage.models import OutboxMessage
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.core.test_rounds_options import _buttons, _last_with
from tests.fakes import RecordingPlatform, Talk, person

TOM = Sender("telegram", "4711", "Tom", None)  # a Telegram member without a username
ALICE = person("Alice")


async def _introduce(talk: Talk, core: Core, code: str, clock: ManualClock) -> tuple[RecordingPlatform, ...]:
    await talk.say(TOM, f"/join {code}")
    await talk.press(TOM, "Choose my interests")
    await talk.press(TOM, "Python")
    await talk.say(TOM, "/crossplatform on")
    await _members_answer(talk, code, {"Alice": ["Python"]})
    await talk.say(ALICE, "/crossplatform on")
    await talk.match_now(OLIVIA)
    platforms = RecordingPlatform(), RecordingPlatform(platform="telegram")
    await _deliver(core, clock, *platforms)
    return platforms


async def _deliver(core: Core, clock: ManualClock, *platforms: RecordingPlatform) -> None:
    await Delivery(core.database, {p.name: p for p in platforms}, clock).run_once()


async def _press(core: Core, who: Sender, button: Button) -> Message:
    [action] = await core.handle(ButtonPress(who, button.action, button.value))
    return action.message


async def _write(core: Core, who: Sender, to_button: Button, text: str) -> Message:
    """Press Message/Reply, write the text; returns the preview with its Send and Cancel buttons."""
    await core.handle(ButtonPress(who, to_button.action, to_button.value))
    [action] = await core.handle(FreeText(who, text))
    return action.message


def _relay_button(message: Message) -> Button:
    [button] = _buttons(message, "relay")
    return button


async def test_a_slack_like_member_and_a_telegram_member_without_a_username_reach_each_other(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    console, telegram = await _introduce(talk, core, code, clock)
    to_alice, to_tom = _last_with(console, "alice", "hi"), _last_with(telegram, "4711", "hi")
    assert "Alice is on the console: send a first message through me" in to_tom.plain_text()
    assert "Tom is on Telegram: send a first message through me" in to_alice.plain_text()
    assert "reach out there" not in to_alice.plain_text()  # the regression: pointed at no one
    assert _relay_button(to_alice).label == "✉️ Message Tom"

    hello = "Hi Tom! <b>Coffee</b> at 18:00? *not bold* @alice_w"
    preview = await _write(core, ALICE, _relay_button(to_alice), hello)
    assert "I'll pass this on to Tom on Telegram, with your name (Alice, on the console):" in preview.plain_text()
    assert hello in preview.plain_text().splitlines()
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.key.like("relay:%"))) == 0  # not yet
    sent = await _press(core, ALICE, _buttons(preview, "relaysend")[0])
    assert "Sent to Tom" in sent.plain_text()
    assert "Already sent" in (await _press(core, ALICE, _buttons(preview, "relaysend")[0])).plain_text()
    await _deliver(core, clock, console, telegram)
    [passed] = [m for a, m in telegram.sent if a.user_id == "4711" and _buttons(m, "relay")][-1:]
    lines = passed.plain_text().splitlines()
    assert lines[0].startswith("✉️ Alice on the console sent you a message through me") and lines[1] == hello
    assert _relay_button(passed).label == "↩️ Reply to Alice"

    answer = "Yes! Find me at the bar."
    preview = await _write(core, TOM, _relay_button(passed), answer)
    await _press(core, TOM, _buttons(preview, "relaysend")[0])
    await _deliver(core, clock, console, telegram)
    back = [m for a, m in console.sent if a.user_id == "alice" and _buttons(m, "relay")][-1]
    assert back.plain_text().splitlines()[1] == answer and "Tom on Telegram" in back.plain_text()
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.key.like("relay:%"))) == 2


async def test_cancel_sends_nothing_and_bad_messages_are_asked_again(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    console, _ = await _introduce(talk, core, code, clock)
    button = _relay_button(_last_with(console, "alice", "hi"))
    await core.handle(ButtonPress(ALICE, button.action, button.value))
    [too_long] = await core.handle(FreeText(ALICE, "x" * 1001))
    assert "keep it to 1,000" in too_long.message.plain_text() and "Write your message" in too_long.message.plain_text()
    [blank] = await core.handle(FreeText(ALICE, "   "))
    assert "empty" in blank.message.plain_text()
    [preview] = await core.handle(FreeText(ALICE, "Hello"))
    cancel = _buttons(preview.message, "relaydrop")[0]
    assert "nothing was sent" in (await _press(core, ALICE, cancel)).plain_text()
    send = _buttons(preview.message, "relaysend")[0]
    assert "was cancelled" in (await _press(core, ALICE, send)).plain_text()
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.key.like("relay:%"))) == 0


async def test_only_the_introduced_may_write_and_a_block_ends_it(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    console, telegram = await _introduce(talk, core, code, clock)
    button = _relay_button(_last_with(console, "alice", "hi"))
    await talk.say(person("Mallory"), f"/join {code}")
    assert "for someone else" in (await _press(core, person("Mallory"), button)).plain_text()
    forged = Button("x", "relay", button.value.split(".")[0] + ".1")  # to the organiser, who is not in it
    assert "any more" in (await _press(core, ALICE, forged)).plain_text()
    for junk in ("", "x.y", "99999.1", "1", "-1.-1"):
        assert "any more" in (await _press(core, ALICE, Button("x", "relay", junk))).plain_text()
    preview = await _write(core, ALICE, button, "Hello")
    noagain = _buttons(_last_with(telegram, "4711", "hi"), "noagain")[0]
    await core.handle(ButtonPress(TOM, noagain.action, noagain.value))  # Tom doesn't want to hear from her
    assert "any more" in (await _press(core, ALICE, _buttons(preview, "relaysend")[0])).plain_text()
    assert "any more" in (await _press(core, ALICE, button)).plain_text()
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.key.like("relay:%"))) == 0


async def test_a_few_messages_each_then_swap_contacts(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    console, _ = await _introduce(talk, core, code, clock)
    button = _relay_button(_last_with(console, "alice", "hi"))
    for number in range(RELAY_LIMIT):
        preview = await _write(core, ALICE, button, f"message {number}")
        assert "Sent to Tom" in (await _press(core, ALICE, _buttons(preview, "relaysend")[0])).plain_text()
    assert "swap contact details" in (await _press(core, ALICE, button)).plain_text()


async def test_a_message_waits_for_the_morning_where_the_partner_is(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    console, _ = await _introduce(talk, core, code, clock)
    await talk.say(TOM, "/timezone Asia/Tokyo")
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo
    preview = await _write(core, ALICE, _relay_button(_last_with(console, "alice", "hi")), "Hello")
    sent = await _press(core, ALICE, _buttons(preview, "relaysend")[0])
    assert "they'll get it at 08:00 their time" in sent.plain_text()
    async with core.database.transaction() as session:
        row = (await session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("relay:%")))).one()
    assert row.not_before.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%d %H:%M") == "24 08:00"


async def test_a_sender_who_erases_themselves_takes_their_unsent_message_along(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    console, _ = await _introduce(talk, core, code, clock)
    await talk.say(TOM, "/timezone Asia/Tokyo")
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    preview = await _write(core, ALICE, _relay_button(_last_with(console, "alice", "hi")), "Hello")
    await _press(core, ALICE, _buttons(preview, "relaysend")[0])
    await talk.say(ALICE, "/forget")
    await talk.press(ALICE, "Yes, erase me")
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).where(OutboxMessage.key.like("relay:%"))) == 0


async def test_mydata_shows_what_was_passed_on_and_a_draft_in_full(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    import json

    console, _ = await _introduce(talk, core, code, clock)
    preview = await _write(core, ALICE, _relay_button(_last_with(console, "alice", "hi")), "Draft to Tom")
    await talk.say(ALICE, "/mydata")
    [draft] = json.loads(talk.last_message(ALICE).plain_text().split("\n", 1)[1])["messages_passed_on"]
    assert draft["state"] == "draft" and draft["draft"] == "Draft to Tom"
    await _press(core, ALICE, _buttons(preview, "relaysend")[0])
    await talk.say(ALICE, "/mydata")
    [sent] = json.loads(talk.last_message(ALICE).plain_text().split("\n", 1)[1])["messages_passed_on"]
    assert sent["state"] == "sent" and sent["draft"] is None  # the text is kept only until it is sent
