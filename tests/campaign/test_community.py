"""Communities without a date: recurring rounds on a weekday and hour, with a notice the day before."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.models import CampaignStep
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk


async def test_weekly_rounds_chain_with_a_notice_the_day_before(talk: Talk, core: Core, clock: ManualClock) -> None:
    reply = await talk.say(OLIVIA, '/newcommunity "Python London" weekly tue 10:00 Europe/London')
    assert "Rounds: weekly on Tue at 10:00 (Europe/London); the first is Tue 24 Nov." in reply
    code = re.search(r"Join code: (\w+)", reply)
    assert code
    await talk.say(OLIVIA, "/poll Python, Data")
    await _members_answer(talk, code[1], {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Data"], "Dan": ["Data"]})
    runner = CampaignRunner(core.database, clock, Policy())
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    fired: list[str] = []
    while clock.now() < datetime(2026, 12, 9, tzinfo=UTC):
        clock.advance(timedelta(hours=1))
        fired += [outcome.split(":")[0] + ":" + outcome.split(":")[1] for outcome in await runner.run_due()]
        await delivery.run_once()
    assert fired == [
        "notice:2026-11-24",
        "round:2026-11-24",
        "notice:2026-12-01",
        "round:2026-12-01",
        "notice:2026-12-08",
        "round:2026-12-08",
    ]
    alice = platform.texts_to("alice")
    assert sum("Tomorrow I'll introduce you" in t and "/pause 1" in t for t in alice) == 3
    partners = [t.split("Meet ")[1].split("!")[0] for t in alice if "Meet " in t]
    assert sorted(partners) == ["Bob", "Carol", "Dan"]  # three rounds, three different people
    async with core.database.transaction() as session:
        rounds = (await session.scalars(select(CampaignStep).where(CampaignStep.kind == "community_round"))).all()
    local = [r.due_at.astimezone(ZoneInfo("Europe/London")).strftime("%a %H:%M") for r in rounds]
    assert local == ["Tue 10:00"] * 4  # three done and the next one waiting
