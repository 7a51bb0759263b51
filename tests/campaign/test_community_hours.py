"""A community's rounds on a platform with group conversations: each group's message at an hour when all its
members are awake, members east of the community's zone at the round's hour in theirs."""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from storage.database import Database
from storage.models import Member, OutboxMessage
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, person


async def test_community_rounds_wait_for_their_members_to_be_awake(database: Database, clock: ManualClock) -> None:
    policy = Policy(group_dm_platforms=frozenset({"console"}))
    core = Core(database, clock, policy, rng=random.Random(2))
    talk = Talk(core)
    reply = await talk.say(OLIVIA, '/newcommunity "Python London" weekly tue 10:00 Europe/London')
    code = reply.split("Join code: ")[1].split()[0]
    await talk.say(OLIVIA, "/poll Python, Data")
    zones = {"Lena": "Europe/London", "Lee": "America/Los_Angeles", "Yui": "Asia/Tokyo", "Ken": "Asia/Tokyo"}
    await _members_answer(talk, code, {"Lena": ["Python"], "Lee": ["Python"], "Yui": ["Data"], "Ken": ["Data"]})
    for name, zone in zones.items():
        await talk.say(person(name), f"/timezone {zone}")
    runner = CampaignRunner(database, clock, policy)
    for _ in range(48):  # the notice on Monday and the round on Tuesday 24 November, 10:00 in London
        clock.advance(timedelta(hours=1))
        await runner.run_due()
    async with database.transaction() as session:
        names = {m.platform_user_id: m.display_name for m in (await session.scalars(select(Member))).all()}
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("intro:%")))).all()
    when = {tuple(sorted(names[user] for user in row.address.split(","))): row.not_before for row in rows}
    assert set(when) == {("Lee", "Lena"), ("Ken", "Yui")} and {row.address_kind for row in rows} == {"group"}
    lena_lee = when[("Lee", "Lena")]
    assert lena_lee.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%a %H:%M") == "Tue 08:00"
    assert lena_lee.astimezone(ZoneInfo("Europe/London")).strftime("%a %H:%M") == "Tue 16:00"
    # 10:00 London is 19:00 in Tokyo; the round's own hour there comes the next morning
    assert when[("Ken", "Yui")].astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %H:%M") == "Wed 10:00"
