"""A broadcast's progress message, found by a careless-user run (issue 11): every update keeps saying to whom it
goes, and says why nothing is sent while recipients sleep. Each test failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.fakes import RecordingPlatform, Talk


async def test_the_progress_update_keeps_the_recipients_and_says_who_waits_for_their_morning(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # quiet hours in London: the members' copies wait
    await talk.say(OLIVIA, "/broadcast Doors open at 18:00")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    assert "to 2 recipients" in platform.texts_to("olivia")[0]
    edits = [m.plain_text() for delivered, m in platform.edits if delivered.chat_id == "olivia"]
    # was: "📣 Broadcast for HR Tweetup London" / "Sending: 0 of 2…", with neither to whom nor why it stands
    assert edits and "to 2 recipients" in edits[-1] and "Sending: 0 of 2…" in edits[-1], edits
    assert "2 recipients waiting for their morning (quiet hours)" in edits[-1], edits
