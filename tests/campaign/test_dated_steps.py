"""A step that names a day ("is tomorrow", "in three days") reaches every member on that day in their own zone,
east of the event's zone too: the step fires early enough, and each message waits for its member's hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from storage.models import CampaignStep, Member, OutboxMessage
from tests.campaign.test_campaign import _setup
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, person

ZONES = {"Lena": "Europe/London", "Sue": "Europe/Paris", "Kenji": "Asia/Tokyo", "Dan": "America/Los_Angeles"}


async def test_tomorrow_arrives_the_day_before_in_every_zone(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)  # Thu 10 Dec 18:30 Europe/London
    await _members_answer(talk, code, {name: ["Python"] for name in ZONES})
    for name, zone in ZONES.items():
        await talk.say(person(name), f"/timezone {zone}")
    runner = CampaignRunner(core.database, clock, Policy())
    clock.set(datetime(2026, 12, 6, 0, 0, tzinfo=ZoneInfo("UTC")))  # after the intros, before "said hi?"
    while clock.now() < datetime(2026, 12, 10, 0, 0, tzinfo=ZoneInfo("UTC")):
        clock.advance(timedelta(minutes=30))
        await runner.run_due()
    async with core.database.transaction() as session:
        steps = {s.id: s.key for s in (await session.scalars(select(CampaignStep))).all()}
        rows = (
            await session.execute(
                select(OutboxMessage.key, OutboxMessage.not_before, Member.display_name, Member.time_zone)
                .join(Member, Member.id == OutboxMessage.member_id)
                .where(OutboxMessage.key.like("step:%"))
            )
        ).all()
    local = {
        (steps[int(key.split(":")[1])], name): when.astimezone(ZoneInfo(zone)).strftime("%a %d %H:%M")
        for key, when, name, zone in rows
    }
    for name in ZONES:  # the reminder ("is tomorrow") on Wednesday 9, "in three days" on Monday 7, at 10:00 there
        assert local[("reminder", name)] == "Wed 09 10:00", (name, local[("reminder", name)])
        assert local[("say_hi", name)] == "Mon 07 10:00", (name, local[("say_hi", name)])
