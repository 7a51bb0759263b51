"""A left-out member is told the real cause in plain words, and no next round is promised that may not come."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.core.test_rounds_options import _buttons, _last_with
from tests.fakes import RecordingPlatform, Talk, person


async def test_cross_platform_off_is_named_and_a_dated_event_promises_no_next_round(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    tom = person("Tom", platform="telegram")
    await talk.say(tom, f"/join {code}")
    await talk.press(tom, "Choose my interests")
    await talk.press(tom, "Python")
    await talk.say(tom, "/crossplatform on")
    await _members_answer(talk, code, {"Alice": ["Python"], "Tim": ["Hiking"]})
    await talk.say(person("Alice"), "/crossplatform on")  # Tim keeps it off
    await talk.match_now(OLIVIA)
    console, telegram = RecordingPlatform(), RecordingPlatform(platform="telegram")
    await Delivery(core.database, {"console": console, "telegram": telegram}, clock).run_once()
    (note,) = console.texts_to("tim")
    assert "No introduction for you in this round of HR Tweetup London, sorry: " in note
    assert "you have introductions across platforms turned off (send /crossplatform on to allow them)." in note
    assert "within the rules" not in note
    assert "You're first in line for the next round" not in note  # a dated event: no next round is certain
    assert "If there's another round, you're first in line." in note


async def test_a_member_introduced_before_hears_of_no_new_introduction(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Ann": ["Python"], "Ben": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    never = _buttons(_last_with(platform, "ben", "noagain"), "noagain")[0]
    await core.handle(ButtonPress(person("Ben"), never.action, never.value))
    await talk.match_now(OLIVIA)
    await Delivery(core.database, {"console": platform}, clock).run_once()
    note = platform.texts_to("ann")[-1]
    assert note.startswith("No new introduction for you in this round of HR Tweetup London, sorry: ")
    assert "some of them are people you or they blocked, or said no thanks to." in note
