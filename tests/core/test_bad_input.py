"""Every refusal is short, specific and friendly, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.messages import ButtonPress, Command, Run, Sender
from storage.models import Event, Member
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.fakes import Talk, snapshot

REFUSALS = [
    (ALICE, "/join NOPE42", "No event has the code NOPE42"),
    (ALICE, "/join", "Send the event's join code"),
    (ALICE, "/join !!<b>", "is not a join code"),
    (OLIVIA, '/newevent "Gala" 2026-13-45 18:30 Europe/London', "not a date I can read"),
    (OLIVIA, '/newevent "Gala" 2026-12-10 25:99 Europe/London', "not a time I can read"),
    (OLIVIA, '/newevent "Gala" 2026-12-10 18:30 Mars/Olympus', "not a time zone I know"),
    (OLIVIA, '/newevent "Gala" 2026-12-10 18:30 EST5EDT', "not a time zone I know"),
    (OLIVIA, '/newevent "Gala" 2025-01-01 18:30 Europe/London', "has already passed"),
    (OLIVIA, '/newevent "Gala 2026-12-10 18:30 Europe/London', "A quote is not closed"),
    (OLIVIA, "/newevent Gala 2026-12-10", "To create an event in one line"),
    (OLIVIA, f'/newevent "{"x" * 5000}" 2026-12-10 18:30 Europe/London', "at most 100 characters; yours has 5000"),
    (OLIVIA, "/poll Python", "at least two options"),
    (OLIVIA, "/poll A, a", "listed twice"),
    (OLIVIA, "/poll " + ", ".join(f"o{i}" for i in range(21)), "at most 20 options"),
    (ALICE, "/broadcast hello everyone", "Only the organisers of HR Tweetup London can do that"),
    (ALICE, "/stats", "Only the organisers"),
    (ALICE, "/poll A, B", "Only the organisers"),
    (OLIVIA, "/broadcast", "Write the message after the command"),
    (ALICE, "/pause abc", "whole number of weeks from 1 to 52"),
    (ALICE, "/pause 0", "whole number of weeks"),
    (ALICE, "/frobnicate", "I don't know the command “frobnicate”"),
    (ALICE, "/event ZZZZ99", "No event has the code ZZZZ99"),
    (BOB, "/profile", "I don't know anything about you yet"),
    (BOB, "/leave", "You haven't joined any event yet"),
    (BOB, "hello?", "I answer to commands"),
    (ALICE, "/link", "inside the group or channel"),
]


@pytest.mark.parametrize(("who", "line", "expected"), REFUSALS, ids=[line[:40] for _, line, _ in REFUSALS])
async def test_refusal_is_specific_and_changes_nothing(
    talk: Talk, code: str, core: Core, who: Sender, line: str, expected: str
) -> None:
    await talk.say(ALICE, f"/join {code}")
    before = await snapshot(core.database)
    reply = await talk.say(who, line)
    assert expected in reply
    assert len(reply) < 300
    assert "Traceback" not in reply
    assert await snapshot(core.database) == before


async def test_markup_in_names_is_kept_as_data(talk: Talk, code: str, core: Core) -> None:
    mallory = Sender("console", "mallory", "<!channel> <b>Mal</b> *_[", handle="<@U1>")
    await talk.say(mallory, f"/join {code}")
    async with core.database.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.platform_user_id == "mallory"))).one()
    assert member.display_name == "<!channel> <b>Mal</b> *_["
    await talk.say(mallory, "/profile")
    pieces = [piece for line in talk.last_message(mallory).lines for piece in line]
    assert Run("<!channel> <b>Mal</b> *_[") in pieces  # one plain run: no renderer may read it as markup


async def test_markup_in_event_name_is_data(talk: Talk, core: Core) -> None:
    reply = await talk.say(OLIVIA, '/newevent "<b>Gala</b> <!here>" 2026-12-10 18:30 Europe/London')
    assert "<b>Gala</b> <!here>" in reply
    async with core.database.transaction() as session:
        assert (await session.scalars(select(Event.name))).one() == "<b>Gala</b> <!here>"


async def test_five_thousand_character_display_name_is_clipped(talk: Talk, code: str, core: Core) -> None:
    long = Sender("console", "long", "N" * 5000)
    assert "Welcome" in await talk.say(long, f"/join {code}")
    async with core.database.transaction() as session:
        name = (await session.scalars(select(Member.display_name).where(Member.platform_user_id == "long"))).one()
    assert len(name) == 100 and name.endswith("…")


async def test_interest_button_pressed_twice_is_harmless(talk: Talk, code: str, core: Core) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, "/interests")
    python = talk.button(ALICE, "Python")
    await core.handle(ButtonPress(ALICE, python.action, python.value))
    again = await core.handle(ButtonPress(ALICE, python.action, python.value))  # the same, stale button
    assert "1 selected" in again[0].message.plain_text()
    done = talk.button(ALICE, "Done")
    first = await core.handle(ButtonPress(ALICE, done.action, done.value))
    before = await snapshot(core.database)
    second = await core.handle(ButtonPress(ALICE, done.action, done.value))
    assert first[0].message.plain_text() == second[0].message.plain_text()
    assert await snapshot(core.database) == before


async def test_done_without_interests_asks_to_pick(talk: Talk, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, "/interests")
    assert "Pick at least one interest" in await talk.press(ALICE, "Done")


async def test_forged_buttons_are_refused(core: Core, talk: Talk, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    for action, value in [("pick", "999999.1"), ("pick", "abc"), ("picked", "424242"), ("nonsense", "")]:
        reply = (await core.handle(ButtonPress(ALICE, action, value)))[0].message.plain_text()
        assert "no longer" in reply or "no longer exists" in reply


async def test_button_of_an_event_left_is_refused(talk: Talk, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, "/interests")
    python = talk.button(ALICE, "Python")
    await talk.say(ALICE, "/leave")
    await talk.press(ALICE, "Leave")
    answer = await talk.core.handle(ButtonPress(ALICE, python.action, python.value))
    assert "not in HR Tweetup London any more" in answer[0].message.plain_text()


async def test_restricted_event_creation(database: object, clock: object) -> None:
    import random

    from bot.context import Policy
    from storage.database import Database

    assert isinstance(database, Database)
    core = Core(database, clock, Policy(frozenset({"console:olivia"})), rng=random.Random(2))  # type: ignore[arg-type]
    talk = Talk(core)
    refused = await talk.say(ALICE, '/newevent "Gala" 2026-12-10 18:30 Europe/London')
    assert "limited to this community's organisers" in refused
    assert "Created" in await talk.say(OLIVIA, '/newevent "Gala" 2026-12-10 18:30 Europe/London')


async def test_a_crash_in_a_handler_is_an_apology_and_rolls_back(core: Core, talk: Talk, code: str) -> None:
    from bot.context import Context
    from bot.router import CommandSpec

    async def explode(ctx: Context, args: str) -> None:
        await ctx.enrol()  # a write that must not survive the failure
        raise RuntimeError("boom")

    core.router.command(CommandSpec("explode", explode, "explode", "test only"))
    before = await snapshot(core.database)
    reply = await core.handle(Command(Sender("console", "newbie", "Newbie"), "explode"))
    assert "something went wrong on my side" in reply[0].message.plain_text()
    assert await snapshot(core.database) == before
