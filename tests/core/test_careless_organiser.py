"""An organiser's ordinary slips, found by trying the bot as a new user would (issue 11): each failed before
its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.core import Core
from storage.models import CampaignStep
from tests.core.conftest import ALICE, OLIVIA
from tests.fakes import Talk


async def test_moving_the_event_after_scheduling_a_broadcast(talk: Talk, core: Core, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast at 2026-12-05 09:00 Early birds get a badge")
    await talk.press(OLIVIA, "Send")
    moved = await talk.say(OLIVIA, "/move 2026-12-12 18:00")
    assert "now starts Sat 12 Dec 2026, 18:00" in moved, moved  # was: AssertionError in step_due, "went wrong"
    async with core.database.transaction() as session:
        steps = {s.key: s for s in (await session.scalars(select(CampaignStep))).all()}
    [broadcast] = [s for k, s in steps.items() if k.startswith("broadcast:")]
    assert broadcast.due_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # its own moment, not the event's
    assert steps["reminder"].due_at == datetime(2026, 12, 11, 10, 0, tzinfo=UTC)  # the campaign moved with it
    assert "#1" in await talk.say(OLIVIA, "/broadcasts")
