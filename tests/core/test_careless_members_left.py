"""Members who left an event, found by using the shell as careless members (issue 11, qa11): their old buttons
act on nothing, and nobody is introduced to them afterwards. Each test failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, Message
from storage.models import Intro, IntroState, OutboxMessage
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk

PAIR = {"Alice": ["Python"], "Bob": ["Python"]}


async def _outbox(core: Core, user: str) -> list[Message]:
    async with core.database.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.address == user).order_by(OutboxMessage.id)
        )
        return [Message.from_dict(row.payload) for row in rows.all()]


async def _queued_button(core: Core, user: str, action: str, value_end: str = "") -> Button:
    for message in reversed(await _outbox(core, user)):
        for row in message.buttons:
            for button in row:
                if button.action == action and button.value.endswith(value_end):
                    return button
    raise AssertionError(f"no {action} button queued for {user}")


async def _leave(talk: Talk, who: object) -> None:
    await talk.say(who, "/leave")  # type: ignore[arg-type]
    assert "You've left" in await talk.press(who, "Leave")  # type: ignore[arg-type]


async def test_an_opt_in_pressed_after_leaving_introduces_nobody(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, PAIR)
    await talk.match_now(OLIVIA)
    alice_yes = await _queued_button(core, "alice", "optin", ".yes")
    bob_yes = await _queued_button(core, "bob", "optin", ".yes")
    await _leave(talk, ALICE)
    # was: "Great! I'll share names…", then Bob's yes sent "Meet Alice!" to Bob and "Meet Bob!" to Alice
    assert "Nothing was changed" in await talk.press_button(ALICE, alice_yes)
    await talk.press_button(BOB, bob_yes)
    assert not [m for m in await _outbox(core, "bob") if "Meet Alice" in m.plain_text()]
    assert not [m for m in await _outbox(core, "alice") if "Meet Bob" in m.plain_text()]
    told = [m.plain_text() for m in await _outbox(core, "bob")]
    assert any("Your possible match at HR Tweetup London can't make it this time." in t for t in told), told


async def test_an_opt_in_accepted_before_leaving_is_called_off_when_leaving(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, PAIR)
    await talk.match_now(OLIVIA)
    await talk.press_button(ALICE, await _queued_button(core, "alice", "optin", ".yes"))
    await _leave(talk, ALICE)
    await talk.press_button(BOB, await _queued_button(core, "bob", "optin", ".yes"))  # was: both introduced
    assert not [m for m in await _outbox(core, "bob") if "Meet Alice" in m.plain_text()]
    assert not [m for m in await _outbox(core, "alice") if "Meet Bob" in m.plain_text()]


async def test_an_intros_buttons_pressed_after_leaving_change_nothing(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, PAIR)
    await talk.match_now(OLIVIA)
    said_hi = await _queued_button(core, "alice", "hi")
    not_now = await _queued_button(core, "alice", "later")
    await _leave(talk, ALICE)
    for button in (said_hi, not_now):  # was: "Lovely! I've noted that you said hi to Bob", counted in /stats
        answer = await talk.press_button(ALICE, button)
        assert "You've left HR Tweetup London, so that introduction is closed. Nothing was changed." in answer
    async with core.database.transaction() as session:
        states = set((await session.scalars(select(Intro.state))).all())
    assert states == {IntroState.INTRODUCED}


async def test_saying_hi_to_someone_who_left_does_not_name_them(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, PAIR)
    await talk.match_now(OLIVIA)
    await Delivery(core.database, {"console": RecordingPlatform()}, clock).run_once()  # Bob has his intro
    await _leave(talk, ALICE)
    answer = await talk.press_button(BOB, await _queued_button(core, "bob", "hi"))
    assert "Alice" not in answer  # was: "I've noted that you said hi to Alice"
    assert "I've noted that you said hi." in answer


async def test_an_intro_held_for_the_morning_does_not_go_out_after_a_member_left(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, PAIR)
    clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # quiet hours in London: the intros wait for 08:00
    await talk.match_now(OLIVIA)
    await _leave(talk, BOB)
    clock.set(datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    # was: at 08:00 Bob (told "No more introductions for it") got "Meet Alice!", and Alice "Meet Bob!"
    assert not [t for t in platform.texts_to("bob") if "Meet Alice" in t]
    assert not [t for t in platform.texts_to("alice") if "Meet Bob" in t]
    edits = [m.plain_text() for delivered, m in platform.edits if delivered.chat_id == "olivia"]
    assert any("all messages delivered or settled" in t for t in edits), edits  # the round's report still ends
