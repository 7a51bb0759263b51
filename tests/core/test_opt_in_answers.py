"""Double opt-in answers: a "No thanks" lasts for the event, and a yes may become a no while the group waits."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.core import Core
from bot.messages import ButtonPress
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.core.test_rounds_options import _buttons, _deliver, _last_with
from tests.fakes import RecordingPlatform, Talk, person


async def test_a_declined_pair_is_not_proposed_again_in_a_later_round(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Lara": ["Python"], "Sue": ["Python"]})
    assert "Lara + Sue" in await talk.say(OLIVIA, "/match")
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await _deliver(core, clock, platform)
    no_thanks = _buttons(_last_with(platform, "lara", "optin"), "optin")[1]
    declined = await core.handle(ButtonPress(person("Lara"), no_thanks.action, no_thanks.value))
    assert declined[0].message.plain_text() == "No problem, nobody will be told who you are."  # no next round due
    preview = await talk.say(OLIVIA, "/match")
    assert "Preview of round 2" in preview
    assert "Lara + Sue" not in preview
    assert "Left out: Lara" in preview and "Left out: Sue" in preview
    export = await talk.say(person("Lara"), "/mydata")
    assert '"declined_proposals"' in export and '"with_member_id"' in export


async def test_a_yes_can_become_a_no_while_the_group_still_waits(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules size 3")
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Lara": ["Python"], "Sue": ["Python"], "Tim": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await _deliver(core, clock, platform)
    yes, no = _buttons(_last_with(platform, "lara", "optin"), "optin")
    first = await core.handle(ButtonPress(person("Lara"), yes.action, yes.value))
    assert "as soon as everyone has said yes" in first[0].message.plain_text()
    second = await core.handle(ButtonPress(person("Lara"), no.action, no.value))
    assert "nobody will be told who you are" in second[0].message.plain_text()
    await _deliver(core, clock, platform)
    assert any("can't make it this time" in t for t in platform.texts_to("sue"))
    again = await core.handle(ButtonPress(person("Lara"), no.action, no.value))
    assert "no longer open" in again[0].message.plain_text()  # the group is dissolved now
