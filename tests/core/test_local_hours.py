"""Members' time zones (their platform profile's, unless they set one) and messages at waking hours: a group
conversation within everyone's, or separate messages when no hour suits them all, as the preview says."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.campaign.timing import awake
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Sender
from storage.database import Database
from storage.models import Member, OutboxMessage
from tests.core.conftest import OLIVIA, create_event
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, person


def zoned(name: str, zone: str | None) -> Sender:
    """A member as a platform that reports profile time zones (Slack) describes them."""
    return Sender("console", name.lower(), name, name.lower(), None, zone)


async def _member(core: Core, user_id: str) -> Member:
    async with core.database.transaction() as session:
        return (await session.scalars(select(Member).where(Member.platform_user_id == user_id))).one()


async def test_the_profile_zone_is_used_until_the_member_sets_one(talk: Talk, core: Core, code: str) -> None:
    await talk.say(zoned("Lee", "America/Los_Angeles"), f"/join {code}")
    assert (await _member(core, "lee")).time_zone == "America/Los_Angeles"
    await talk.say(zoned("Lee", "Asia/Tokyo"), "/profile")  # they moved, and their profile says so
    assert (await _member(core, "lee")).time_zone == "Asia/Tokyo"
    assert "Asia/Tokyo (from your profile)" in await talk.say(zoned("Lee", "Asia/Tokyo"), "/timezone")
    await talk.say(zoned("Lee", "Asia/Tokyo"), "/timezone Europe/Paris")
    await talk.say(zoned("Lee", "America/Los_Angeles"), "/profile")
    assert (await _member(core, "lee")).time_zone == "Europe/Paris"  # their own choice wins over the profile
    reply = await talk.say(zoned("Lee", "America/Los_Angeles"), "/timezone auto")
    assert "follows your profile's, America/Los_Angeles" in reply
    assert (await _member(core, "lee")).time_zone == "America/Los_Angeles"


async def test_a_zone_the_machine_does_not_know_is_ignored(talk: Talk, core: Core, code: str) -> None:
    await talk.say(zoned("Zed", "Mars/Olympus_Mons"), f"/join {code}")
    assert (await _member(core, "zed")).time_zone is None
    await talk.say(zoned("Zed", "Asia/Tokyo"), "/profile")
    await talk.say(zoned("Zed", "<b>x</b>"), "/profile")
    assert (await _member(core, "zed")).time_zone == "Asia/Tokyo"


@pytest.fixture
def group_core(database: Database, clock: ManualClock) -> Core:
    """A core whose console holds group conversations (as Slack does)."""
    return Core(database, clock, Policy(group_dm_platforms=frozenset({"console"})), rng=random.Random(3))


async def _rows(core: Core) -> list[OutboxMessage]:
    async with core.database.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.like("intro:%")).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def test_a_group_conversation_waits_for_everyone_to_be_awake(group_core: Core, clock: ManualClock) -> None:
    talk = Talk(group_core)
    code = await create_event(talk)
    await talk.say(OLIVIA, "/poll Python, Hiking")
    await _members_answer(talk, code, {"Lena": ["Python"], "Lee": ["Python"]})
    await talk.say(person("Lee"), "/timezone America/Los_Angeles")
    preview = await talk.say(OLIVIA, "/match")
    # 09:00 in London is 01:00 in Los Angeles: the first moment both are awake is 08:00 there, 16:00 in London
    assert "One group conversation, Mon 08:00 in America/Los_Angeles, Mon 16:00 in Europe/London." in preview
    await talk.match_now(OLIVIA)
    [row] = await _rows(group_core)
    assert row.address_kind == "group" and row.address == "lee,lena"
    assert row.not_before == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # the regression: due at once, 01:00 LA


async def test_no_hour_for_everyone_means_separate_messages_at_each_ones_hour(
    group_core: Core, clock: ManualClock
) -> None:
    talk = Talk(group_core)
    code = await create_event(talk)
    await talk.say(OLIVIA, "/poll Python, Hiking")
    await talk.say(OLIVIA, "/rules size 3")
    zones = {"Lena": "Europe/London", "Lee": "America/Los_Angeles", "Yui": "Asia/Tokyo"}
    await _members_answer(talk, code, {name: ["Python"] for name in zones})
    for name, zone in zones.items():
        await talk.say(person(name), f"/timezone {zone}")
    preview = await talk.say(OLIVIA, "/match")
    assert "No hour is within everyone's waking hours (08:00–21:00 in America/Los_Angeles, Asia/Tokyo, " in preview
    assert "each gets their own message at a waking hour of theirs" in preview
    await talk.match_now(OLIVIA)
    rows = await _rows(group_core)
    assert sorted(row.address for row in rows) == ["lee", "lena", "yui"]
    assert {row.address_kind for row in rows} == {"member"}
    for row in rows:
        zone = zones[next(name for name in zones if name.lower() == row.address)]
        assert awake(row.not_before, zone), (row.address, row.not_before.astimezone(ZoneInfo(zone)))
