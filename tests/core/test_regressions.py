"""Regression tests for defects found in review: each failed before its fix."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress
from storage.database import Database
from storage.models import CampaignStep, Member
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk


async def test_a_failing_step_does_not_block_the_steps_behind_it(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/broadcast to interest:Hiking at 2026-11-26 09:00 Hikers, meet at the door")
    await talk.press(OLIVIA, "Send")
    await talk.say(OLIVIA, "/poll Python, Design")  # Hiking is gone before the broadcast is due
    clock.set(datetime(2026, 11, 26, 11, 0, tzinfo=UTC))
    outcomes = await CampaignRunner(core.database, clock, Policy()).run_due()
    assert outcomes[0].startswith("broadcast:") and "failed" in outcomes[0] and "no interest called" in outcomes[0]
    assert outcomes[1].startswith("welcome:")  # the step behind it ran


async def test_names_stay_hidden_until_everyone_opts_in(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    proposal = next(m for a, m in platform.sent if a.user_id == "alice")
    group = next(b for row in proposal.buttons for b in row).value.split(".")[0]
    for action in ("hi", "noagain", "later"):  # forged buttons on a group still waiting for opt-ins
        reply = (await core.handle(ButtonPress(ALICE, action, group)))[0].message.plain_text()
        assert reply == "That introduction is no longer open." and "Bob" not in reply


async def test_opting_in_after_the_partner_erased_themselves(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(OLIVIA, "/rules optin on")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    proposal = next(m for a, m in platform.sent if a.user_id == "alice")
    await talk.say(BOB, "/forget")
    await talk.press(BOB, "Yes, erase me")
    yes = next(b for row in proposal.buttons for b in row)
    reply = (await core.handle(ButtonPress(ALICE, yes.action, yes.value)))[0].message.plain_text()
    assert "no longer available" in reply
    await Delivery(core.database, {"console": platform}, clock).run_once()
    assert not any("Meet" in m.plain_text() for a, m in platform.sent if a.user_id == "alice")


async def test_communities_respect_the_organisers_setting(database: Database, clock: ManualClock) -> None:
    talk = Talk(Core(database, clock, Policy(frozenset({"console:olivia"})), rng=random.Random(1)))
    refused = await talk.say(ALICE, '/newcommunity "Eve club" weekly tue 10:00 Europe/London')
    assert "limited to this community's organisers" in refused
    assert "Created the community" in await talk.say(OLIVIA, '/newcommunity "Club" weekly tue 10:00 Europe/London')


async def test_asking_about_several_rounds_at_once_pauses_nobody(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    for _ in range(4):
        await talk.match_now(OLIVIA)
        clock.advance(timedelta(days=1))
    await talk.say(OLIVIA, "/followup")
    reply = await talk.press(OLIVIA, "Yes, ask now")
    assert "paused" not in reply


async def test_a_member_who_writes_again_is_reachable_again(talk: Talk, core: Core, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    async with core.database.transaction() as session:
        await session.execute(update(Member).where(Member.platform_user_id == "alice").values(status="unreachable"))
    await talk.say(ALICE, "/profile")
    async with core.database.transaction() as session:
        assert (
            await session.scalars(select(Member.status).where(Member.platform_user_id == "alice"))
        ).one() == "active"


async def test_unusual_digits_and_dst_gaps_get_friendly_answers(talk: Talk, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    assert "whole number of weeks" in await talk.say(ALICE, "/pause ²")
    assert "“²” is not a value for cap" in await talk.say(OLIVIA, "/rules cap ²")
    assert "Use /schedule" in await talk.say(OLIVIA, "/schedule move reminder +-1 10:00")
    assert "Use /schedule" in await talk.say(OLIVIA, "/schedule move reminder 999999999 10:00")
    for action, value in [("pick", "².1"), ("hi", "9" * 20), ("met", "².yes"), ("rsvp", "².yes"), ("sendround", "1.²")]:
        reply = (await talk.core.handle(ButtonPress(ALICE, action, value)))[0].message.plain_text()
        assert "went wrong" not in reply, (action, reply)
    gap = await talk.say(OLIVIA, '/newevent "Spring" 2027-03-28 01:30 Europe/London')
    assert "doesn't exist on 2027-03-28 in Europe/London" in gap


async def test_a_missed_community_round_does_not_end_the_series(talk: Talk, core: Core, clock: ManualClock) -> None:
    await talk.say(OLIVIA, '/newcommunity "Club" weekly tue 10:00 Europe/London')
    clock.set(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # down from before the first round until days later
    await CampaignRunner(core.database, clock, Policy()).run_due()
    async with core.database.transaction() as session:
        pending = (
            await session.scalars(
                select(CampaignStep.key).where(CampaignStep.kind == "community_round", CampaignStep.status == "pending")
            )
        ).all()
    assert pending == ["round:2026-12-08"]
