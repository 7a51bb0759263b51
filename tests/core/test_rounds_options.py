"""Per-event options of rounds: cross-platform consent, double opt-in, roles, starters, silence."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, ButtonPress, Message
from storage.models import Member
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk, person


async def _deliver(core: Core, clock: ManualClock, *platforms: RecordingPlatform) -> None:
    await Delivery(core.database, {p.name: p for p in platforms}, clock).run_once()


def _buttons(message: Message, action: str) -> list[Button]:
    return [b for row in message.buttons for b in row if b.action == action]


def _last_with(platform: RecordingPlatform, user: str, action: str) -> Message:
    return [m for a, m in platform.sent if a.user_id == user and _buttons(m, action)][-1]


async def test_cross_platform_needs_both_consents(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    tom = person("Tom", platform="telegram")
    await talk.say(tom, f"/join {code}")
    await talk.press(tom, "Choose my interests")
    await talk.press(tom, "Python")
    await _members_answer(talk, code, {"Alice": ["Python"]})
    preview = await talk.say(OLIVIA, "/match")
    assert "Left out: Alice" in preview and "Left out: Tom" in preview  # different platforms, no consent
    await talk.say(tom, "/crossplatform on")
    assert "Left out: Alice" in await talk.say(OLIVIA, "/match")  # one consent is not enough
    assert "other platforms" in await talk.say(person("Alice"), "/crossplatform on")
    await talk.match_now(OLIVIA)
    console, telegram = RecordingPlatform(), RecordingPlatform(platform="telegram")
    await _deliver(core, clock, console, telegram)
    to_alice = _last_with(console, "alice", "hi").plain_text()
    to_tom = _last_with(telegram, "tom", "hi").plain_text()
    assert "Tom is on Telegram as @tom (t.me/tom), or send a first message through me" in to_alice
    assert "Alice is on the console: send a first message through me" in to_tom
    assert [b.label for b in _buttons(_last_with(telegram, "tom", "hi"), "relay")] == ["✉️ Message Alice"]


async def test_group_dm_platforms_get_one_group_message(database: object, clock: ManualClock) -> None:
    import random

    from bot.context import Policy
    from storage.database import Database

    assert isinstance(database, Database)
    core = Core(database, clock, Policy(group_dm_platforms=frozenset({"console"})), rng=random.Random(5))
    talk = Talk(core)
    from tests.core.conftest import create_event

    code = await create_event(talk)
    await talk.say(OLIVIA, "/poll Python, Hiking")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform(group_dm=True)
    await _deliver(core, clock, platform)
    intros = [(a, m) for a, m in platform.sent if _buttons(m, "hi")]
    assert [(a.kind, a.user_id) for a, _ in intros] == [("group", "alice,bob")]
    assert "Alice and Bob: meet each other!" in intros[0][1].plain_text()
    hi = _buttons(intros[0][1], "hi")[0]
    for name in ("Alice", "Bob"):  # either member can answer in the shared conversation
        reply = await core.handle(ButtonPress(person(name), hi.action, hi.value))
        assert "said hi" in reply[0].message.plain_text()


async def test_double_opt_in_hides_names_until_all_accept(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    assert "Double opt-in: on" in await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await _deliver(core, clock, platform)
    proposal = _last_with(platform, "alice", "optin")
    assert "also into Python" in proposal.plain_text() and "Bob" not in proposal.plain_text()
    yes_alice = _buttons(proposal, "optin")[0]
    reply = await core.handle(ButtonPress(person("Alice"), yes_alice.action, yes_alice.value))
    assert "as soon as everyone has said yes" in reply[0].message.plain_text()
    await _deliver(core, clock, platform)
    assert not [m for a, m in platform.sent if _buttons(m, "hi")]  # no names yet
    yes_bob = _buttons(_last_with(platform, "bob", "optin"), "optin")[0]
    await core.handle(ButtonPress(person("Bob"), yes_bob.action, yes_bob.value))
    await _deliver(core, clock, platform)
    assert "Meet Bob!" in _last_with(platform, "alice", "hi").plain_text()
    assert "Meet Alice!" in _last_with(platform, "bob", "hi").plain_text()


async def test_a_decline_frees_the_others_for_a_rematch(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    people = {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]}
    await _members_answer(talk, code, people)
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await _deliver(core, clock, platform)
    no_bob = _buttons(_last_with(platform, "bob", "optin"), "optin")[1]
    no_dan = _buttons(_last_with(platform, "dan", "optin"), "optin")[1]
    await core.handle(ButtonPress(person("Bob"), no_bob.action, no_bob.value))
    await core.handle(ButtonPress(person("Dan"), no_dan.action, no_dan.value))
    await _deliver(core, clock, platform)
    assert any("can't make it this time" in t for t in platform.texts_to("alice"))
    new_proposal = _last_with(platform, "alice", "optin")
    assert _buttons(new_proposal, "optin")[0].value != _buttons(_last_with(platform, "bob", "optin"), "optin")[0].value
    carol_proposal = _last_with(platform, "carol", "optin")
    assert _buttons(new_proposal, "optin")[0].value == _buttons(carol_proposal, "optin")[0].value  # Alice + Carol
    old = await core.handle(ButtonPress(person("Alice"), "optin", no_bob.value.replace(".no", ".yes")))
    assert "no longer open" in old[0].message.plain_text()


async def test_roles_meet_across_and_custom_starters(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    assert "meet across: candidate/recruiter" in await talk.say(OLIVIA, "/rules roles recruiter/candidate")
    assert "Added a starter for Python" in await talk.say(OLIVIA, "/starter Python: Tabs or spaces, really?")
    people = {"Rita": ["Python"], "Rob": ["Python"], "Cleo": ["Hiking"], "Cal": ["Hiking"]}
    await _members_answer(talk, code, people)
    for name, role in (("Rita", "recruiter"), ("Rob", "recruiter"), ("Cleo", "candidate"), ("Cal", "candidate")):
        assert f"role in HR Tweetup London: {role}" in await talk.say(person(name), f"/role {role}")
    preview = await talk.say(OLIVIA, "/match")
    assert "Rita + Rob" not in preview and "Cal + Cleo" not in preview
    await talk.say(OLIVIA, "/rules roles off")
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await _deliver(core, clock, platform)
    assert "“Tabs or spaces, really?”" in _last_with(platform, "rita", "hi").plain_text()


async def test_three_unanswered_rounds_pause_the_member(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    # Eight members: four rounds in which everyone meets someone new (nobody gets the same introduction twice).
    names = ("Alice", "Bob", "Carol", "Dan", "Erin", "Finn", "Gus", "Hal")
    await _members_answer(talk, code, {name: ["Python"] for name in names})
    platform = RecordingPlatform()
    for _ in range(3):
        await talk.match_now(OLIVIA)
        clock.advance(timedelta(days=7))
        if "hasn't happened yet" in await talk.say(OLIVIA, "/followup"):  # before the event (Dec 10): asked first
            await talk.press(OLIVIA, "Yes, ask now")
        await _deliver(core, clock, platform)
        for name in names[1:]:  # everyone but Alice answers
            question = _last_with(platform, name.lower(), "met")
            no = _buttons(question, "met")[2]
            await core.handle(ButtonPress(person(name), no.action, no.value))
    await talk.match_now(OLIVIA)
    clock.advance(timedelta(days=7))
    assert "1 member paused after three unanswered rounds" in await talk.say(OLIVIA, "/followup")  # after it
    await _deliver(core, clock, platform)
    assert any("paused yours" in t and "/resume" in t for t in platform.texts_to("alice"))
    async with core.database.transaction() as session:
        status = (await session.scalars(select(Member.status).where(Member.platform_user_id == "alice"))).one()
    assert status == "paused"


async def test_rules_refuse_nonsense(talk: Talk, code: str) -> None:
    assert "“9” is not a value for size. Group size is 2, 3 or 4" in await talk.say(OLIVIA, "/rules size 9")
    for line, answer in [
        ("/rules size 2.5", "Group size is 2, 3 or 4"),
        ("/rules cap 0", "whole number from 1 to 4, or off"),
        ("/rules cap 99999999999999999999", "whole number from 1 to 4, or off"),
        ("/rules tz nan", "whole number of hours from 0 to 24"),
        ("/rules tz -3", "whole number of hours from 0 to 24"),
        ("/rules roles recruiter/recruiter", "two different roles"),
        ("/rules optin maybe", "on or off"),
        ("/rules bogus 1", "“bogus” is not a rule I know. Use /rules size"),
    ]:
        assert answer in await talk.say(OLIVIA, line), line
    assert "Roles that meet across: none" in await talk.say(OLIVIA, "/rules")  # nothing above was changed
    assert "Use /starter INTEREST" in await talk.say(OLIVIA, "/starter nothing here")
    assert "Use /match to preview" in await talk.say(OLIVIA, "/match later")
    await talk.say(person("Zed"), f"/join {code}")
    assert "Only the organisers" in await talk.match_now(person("Zed"))
