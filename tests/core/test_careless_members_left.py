"""Members who left an event, found by using the shell as careless members (issue 11, qa11): their old buttons
act on nothing, and nobody is introduced to them afterwards. Each test failed before its fix."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, Message
from storage.database import Database
from storage.models import Intro, IntroState, OutboxMessage
from tests.core.conftest import ALICE, BOB, OLIVIA, create_event
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk, person

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


async def _group_conversation(database: Database, clock: ManualClock, people: dict[str, list[str]]) -> Talk:
    """An event whose intros go out as one group conversation (as on Slack), held for the morning."""
    talk = Talk(Core(database, clock, Policy(group_dm_platforms=frozenset({"console"})), rng=random.Random(5)))
    code = await create_event(talk)
    await talk.say(OLIVIA, "/poll Python, Hiking")
    if len(people) == 3:
        await talk.say(OLIVIA, "/rules size 3")
    await _members_answer(talk, code, people)
    clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # quiet hours in London: the intro waits for 08:00
    await talk.match_now(OLIVIA)
    return talk


async def _morning(talk: Talk, clock: ManualClock) -> RecordingPlatform:
    clock.set(datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
    platform = RecordingPlatform(group_dm=True)
    await Delivery(talk.core.database, {"console": platform}, clock).run_once()
    return platform


TRIO = {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Python"]}


async def test_a_group_conversation_held_for_the_morning_goes_to_the_others_without_the_leaver(
    database: Database, clock: ManualClock
) -> None:
    talk = await _group_conversation(database, clock, TRIO)
    await _leave(talk, person("Carol"))
    platform = await _morning(talk, clock)
    intros = [(a.user_id, m.plain_text()) for a, m in platform.sent if "meet each other" in m.plain_text()]
    # was: the group conversation "alice,bob,carol" went out naming Carol, who had left
    assert [user for user, _ in intros] == ["alice,bob"], intros
    assert "Alice and Bob: meet each other!" in intros[0][1] and "Carol" not in intros[0][1]
    edits = [m.plain_text() for delivered, m in platform.edits if delivered.chat_id == "olivia"]
    assert any("all messages delivered or settled" in t for t in edits), edits  # the round's report still ends


async def test_a_group_conversation_of_a_pair_tells_the_one_left_their_match_cant_make_it(
    database: Database, clock: ManualClock
) -> None:
    talk = await _group_conversation(database, clock, PAIR)
    await _leave(talk, BOB)
    platform = await _morning(talk, clock)
    assert not [m for _, m in platform.sent if "meet each other" in m.plain_text()]  # was: to "alice,bob"
    told = platform.texts_to("alice")
    assert any("Your possible match at HR Tweetup London can't make it this time." in t for t in told), told
    assert not [t for t in told if "Bob" in t]
    edits = [m.plain_text() for delivered, m in platform.edits if delivered.chat_id == "olivia"]
    assert any("all messages delivered or settled" in t for t in edits), edits


async def test_a_group_conversation_goes_to_the_others_without_a_member_who_erased_themselves(
    database: Database, clock: ManualClock
) -> None:
    talk = await _group_conversation(database, clock, TRIO)
    await talk.say(person("Carol"), "/forget")
    await talk.press(person("Carol"), "Yes, erase me")
    platform = await _morning(talk, clock)
    intros = [(a.user_id, m.plain_text()) for a, m in platform.sent if "meet each other" in m.plain_text()]
    assert [user for user, _ in intros] == ["alice,bob"], intros  # was: nothing (the conversation was deleted)
    assert "Carol" not in intros[0][1]


async def test_did_you_meet_and_rating_buttons_pressed_after_leaving_change_nothing(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, PAIR)
    await talk.match_now(OLIVIA)
    await talk.say(OLIVIA, "/followup")
    await talk.press(OLIVIA, "Yes, ask now")
    await Delivery(core.database, {"console": RecordingPlatform()}, clock).run_once()  # Alice has the question
    met_yes = await _queued_button(core, "alice", "met", ".yes")
    intro_id = met_yes.value.partition(".")[0]
    assert "How was it?" in await talk.press_button(ALICE, met_yes)  # she met Bob, before leaving
    await _leave(talk, ALICE)
    closed = "You've left HR Tweetup London, so that introduction is closed. Nothing was changed."
    # was: "Thanks for letting me know…" and "Thank you! Noted ⭐⭐⭐⭐⭐.", both recorded after /leave
    assert closed in await talk.press_button(ALICE, await _queued_button(core, "alice", "met", ".no"))
    assert closed in await talk.press_button(ALICE, Button("⭐⭐⭐⭐⭐", "rate", f"{intro_id}.5"))
    async with core.database.transaction() as session:
        intro = await session.get(Intro, int(intro_id))
        assert intro is not None and (intro.met, intro.rating) == ("yes", None)
