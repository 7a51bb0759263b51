"""After a block, the campaign neither reminds the blocker of the person nor names either to the other."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress
from storage.models import Intro, Member
from tests.campaign.test_campaign import _setup
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk, person


async def test_say_hi_and_lookout_leave_out_a_blocked_partner(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Cat": ["Python"]})
    await talk.say(OLIVIA, "/rules size 3")
    assert "on its way" in await talk.match_now(OLIVIA)
    async with core.database.transaction() as session:
        group = await session.scalar(
            select(Intro.group_id).join(Member, Member.id == Intro.member_id).where(Member.display_name == "Alice")
        )
    assert group is not None
    blocked = await core.handle(ButtonPress(person("Alice"), "noagain", str(group)))
    assert "won't match you with" in blocked[0].message.plain_text()
    platform = RecordingPlatform()
    runner = CampaignRunner(core.database, clock, Policy())
    delivery = Delivery(core.database, {"console": platform}, clock)
    for moment in (datetime(2026, 12, 7, 10, 1, tzinfo=UTC), datetime(2026, 12, 10, 17, 0, tzinfo=UTC)):
        clock.set(moment)  # "have you said hi?" (3 days before), then "look out for" (2 hours before)
        await runner.run_due()
        await delivery.run_once()
    said_hi = [t for t in platform.sent if "said hi" in t[1].plain_text() or "Look out" in t[1].plain_text()]
    assert said_hi, "the steps sent nothing at all"
    for address, message in said_hi:
        text = message.plain_text()
        assert "Bob" not in text and "Cat" not in text if address.user_id == "alice" else "Alice" not in text
