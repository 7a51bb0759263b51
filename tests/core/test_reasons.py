"""The reason a member is told is the true one, and the organiser's preview says the same; freed members in
double opt-in hear the outcome and are first in line."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.core import Core
from bot.intros.candidates import load_pool
from bot.messages import ButtonPress, Message
from bot.services.dashboard.overview import rounds
from storage.models import Event, Intro, IntroState, Member
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _deliver, _members_answer
from tests.core.test_rounds_options import _buttons, _last_with
from tests.fakes import RecordingPlatform, Talk, person


def _why(message: Message) -> str:
    line = next(line for line in message.plain_text().splitlines() if line.startswith("Why: "))
    return line.removeprefix("Why: ")


def _preview_reasons(preview: str) -> dict[str, str]:
    """ "Alice + Bob" -> the reason the preview gives for that group."""
    found = re.findall(r"^\d+\. (.+?) — score [\d.]+ — (.+)$", preview, flags=re.MULTILINE)
    return dict(found)


async def _round(talk: Talk, core: Core, clock: ManualClock) -> tuple[dict[str, str], RecordingPlatform]:
    """Preview, send, deliver: the preview's reasons, and what each member got."""
    preview = _preview_reasons(await talk.say(OLIVIA, "/match"))
    await talk.match_now(OLIVIA)
    return preview, await _deliver(core, clock)


def _agree(preview: dict[str, str], platform: RecordingPlatform) -> None:
    """Every member reads, word for word, the reason the organiser was shown for their group."""
    for names, why in preview.items():
        for name in names.split(" + "):
            assert _why(_last_with(platform, name.lower(), "hi")) == why, (name, why)


async def _community(talk: Talk) -> str:
    """A community: its weekly rounds may repeat a pair when nothing else is possible (a dated event never does)."""
    created = await talk.say(OLIVIA, '/newcommunity "Python London" weekly tue 10:00 Europe/London')
    found = re.search(r"Join code: (\w+)", created)
    assert found, created
    await talk.say(OLIVIA, "/poll Python, Hiking")
    return found[1]


async def test_a_repeat_pair_is_told_they_met_before(talk: Talk, core: Core, clock: ManualClock) -> None:
    await _members_answer(talk, await _community(talk), {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    clock.advance(timedelta(days=7))
    preview, platform = await _round(talk, core, clock)
    why = preview["Alice + Bob"]
    assert why == "you both picked Python. You two have met before: this round I couldn't give everyone someone new."
    assert "haven't met" not in why
    _agree(preview, platform)


async def test_a_repeat_without_shared_interests_claims_nothing_new(
    talk: Talk, core: Core, clock: ManualClock
) -> None:
    await _members_answer(talk, await _community(talk), {"Alice": ["Python"], "Bob": ["Hiking"]})
    await talk.match_now(OLIVIA)
    first = _why(_last_with(await _deliver(core, clock), "alice", "hi"))
    assert first == "no shared interest this time, so I picked someone you haven't met yet."
    clock.advance(timedelta(days=7))
    preview, platform = await _round(talk, core, clock)
    # the regression: "you haven't met yet, and the rest of the room was spoken for" to a pair that had met
    assert preview["Alice + Bob"] == (
        "no shared interest this time. You two have met before: this round I couldn't give everyone someone new."
    )
    _agree(preview, platform)


async def test_a_role_pair_is_told_about_their_roles(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(OLIVIA, "/rules roles recruiter/candidate")
    await _members_answer(talk, code, {"Rita": ["Python"], "Cleo": ["Hiking"]})
    await talk.say(person("Rita"), "/role recruiter")
    await talk.say(person("Cleo"), "/role candidate")
    preview, platform = await _round(talk, core, clock)
    assert preview == {"Rita + Cleo": "you bring different sides: candidate and recruiter."}
    _agree(preview, platform)


async def test_a_time_zone_only_pair_is_told_about_their_time_zones(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules tz 2")
    people = {"Lena": ["Python"], "Paul": ["Hiking"], "Yuki": ["Recruiting"], "Minho": []}
    zones = {"Lena": "Europe/London", "Paul": "Europe/Paris", "Yuki": "Asia/Tokyo", "Minho": "Asia/Seoul"}
    await _members_answer(talk, code, people)
    for name, zone in zones.items():
        await talk.say(person(name), f"/timezone {zone}")
    preview, platform = await _round(talk, core, clock)
    near = "you're in time zones within 2 hours of each other, so finding a time to talk is easy."
    assert preview == {"Lena + Paul": near, "Yuki + Minho": near}  # the regression: "the room was spoken for"
    _agree(preview, platform)


async def test_a_pair_far_apart_under_a_time_zone_rule_is_not_told_it_is_near(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules tz 2")
    await _members_answer(talk, code, {"Lena": ["Python"], "Yuki": ["Python"]})
    await talk.say(person("Yuki"), "/timezone Asia/Tokyo")
    preview, platform = await _round(talk, core, clock)
    assert preview == {"Lena + Yuki": "you both picked Python."}
    _agree(preview, platform)


async def _opt_in_round(talk: Talk, core: Core, code: str, clock: ManualClock) -> RecordingPlatform:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    await talk.match_now(OLIVIA)
    return await _deliver(core, clock)


async def _decline(core: Core, platform: RecordingPlatform, name: str) -> None:
    no = _buttons(_last_with(platform, name.lower(), "optin"), "optin")[1]
    reply = await core.handle(ButtonPress(person(name), no.action, no.value))
    assert "nobody will be told" in reply[0].message.plain_text()


async def _state(core: Core, name: str) -> str:
    async with core.database.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.platform_user_id == name.lower()))).one()
        return (await session.scalars(select(Intro.state).where(Intro.member_id == member.id))).one()


async def test_a_freed_member_nobody_can_take_is_told_so_and_is_first_in_line(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    platform = await _opt_in_round(talk, core, code, clock)
    await _decline(core, platform, "Bob")  # Alice is freed; Carol and Dan are still deciding
    await _deliver(core, clock, platform)
    told = platform.texts_to("alice")[-1]
    assert "can't make it this time" in told and "couldn't find anyone else" in told and "first in line" in told
    assert "looking for someone else" not in told  # the regression: a promise, then silence
    assert await _state(core, "Alice") == IntroState.LEFT_OUT
    async with core.database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
        pool = await load_pool(session, event, clock.now())
    priority = {pool.members[c.member_id].display_name for c in pool.candidates if c.priority}
    assert priority == {"Alice"}  # the next round places her first (Bob declined: he waits like anyone)


async def test_freed_members_are_matched_again_when_another_decline_frees_a_partner(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    platform = await _opt_in_round(talk, core, code, clock)
    await _decline(core, platform, "Bob")
    await _deliver(core, clock, platform)
    assert "couldn't find anyone else" in platform.texts_to("alice")[-1]
    await _decline(core, platform, "Dan")  # Carol is freed now, and Alice is still waiting
    await _deliver(core, clock, platform)
    carol = platform.texts_to("carol")
    assert "I've found someone else for you" in carol[-2] and "Want an intro?" in carol[-1]
    proposal = _last_with(platform, "alice", "optin")
    assert _buttons(proposal, "optin")[0].value == _buttons(_last_with(platform, "carol", "optin"), "optin")[0].value
    for name in ("Alice", "Carol"):
        yes = _buttons(_last_with(platform, name.lower(), "optin"), "optin")[0]
        await core.handle(ButtonPress(person(name), yes.action, yes.value))
    await _deliver(core, clock, platform)
    assert "Meet Carol!" in _last_with(platform, "alice", "hi").plain_text()


async def test_a_member_with_no_interests_is_not_told_they_share_one(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules size 3")
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Lara": ["Python"], "Sue": ["Python"], "Zed": []})
    await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    proposal = _last_with(platform, "zed", "optin").plain_text()
    assert "who's also into" not in proposal and "who are also into" not in proposal
    assert "I found 2 people at HR Tweetup London for you." in proposal
    assert "Why: at least two of you picked Python." in proposal
    assert "between you, you share" not in proposal
    async with core.database.read() as session:
        event = (await session.scalars(select(Event))).one()
        views = await rounds(session, event)
    assert [group.reason for view in views for group in view.groups] == ["Shared by at least two: Python"]
