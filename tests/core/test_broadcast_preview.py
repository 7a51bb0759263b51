"""Broadcasts are read strictly and previewed: an unreadable audience or time is refused and nothing is
written; nothing is queued before Send; Send pressed twice sends once; a stale preview says so; scheduled
broadcasts are listed and can be cancelled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.core import Core
from bot.messages import ButtonPress
from storage.models import OutboxMessage
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.fakes import Talk, snapshot


async def _outbox(core: Core) -> list[str]:
    async with core.database.transaction() as session:
        return list((await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))).all())


async def _joined(talk: Talk, code: str) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/broadcast to answerd hello", "“answerd” is not an audience I know. Use all, answered"),
        ("/broadcast to nobody hi", "“nobody” is not an audience I know"),
        ("/broadcast at tomorrow hi", "“tomorrow” is not a date I can read. Write the time as at YYYY-MM-DD HH:MM"),
        ("/broadcast at 2026-12-05 9am hello", "“9am” is not a time I can read"),
        ("/broadcast at 2026-13-05 09:00 hello", "is not a date I can read"),
        ("/broadcast to all at 2026-11-01 09:00 hello", "That time has already passed"),
        ("/broadcast at 2026-12-05 09:00 to everyone hi", "“everyone” is not an audience I know"),
        ("/broadcast to interest:Chess hi", "has no interest called “Chess”"),
        ("/broadcast to interest: Hi", "“interest:” is not an audience I know"),  # not "to interest: Hi" to all
        ("/broadcast to all", "Write the message after the command"),
    ],
)
async def test_an_unreadable_option_is_refused_and_nothing_is_written(
    talk: Talk, core: Core, code: str, line: str, expected: str
) -> None:
    await _joined(talk, code)
    before = await snapshot(core.database)
    assert expected in await talk.say(OLIVIA, line)
    assert await snapshot(core.database) == before


async def test_the_preview_shows_what_members_see_and_nothing_is_queued_before_send(
    talk: Talk, core: Core, code: str
) -> None:
    await _joined(talk, code)
    shown = await talk.say(OLIVIA, "/broadcast to all Doors open at 18:00 <!channel>")
    assert "nothing is sent until you press Send" in shown
    assert "To: all (2 people)" in shown and "When: now" in shown
    assert "📣 HR Tweetup London — from Olivia\nDoors open at 18:00 <!channel>" in shown
    assert [b.label for b in talk.last_buttons["olivia"]] == ["Send", "Edit", "Cancel"]
    assert await _outbox(core) == []
    send = talk.button(OLIVIA, "Send")
    assert "Sending to 2 recipients" in await talk.press(OLIVIA, "Send")
    keys = await _outbox(core)
    assert sorted(k.split(":")[-1] for k in keys) == sorted(["progress", "2", "3"])
    again = await core.handle(ButtonPress(OLIVIA, send.action, send.value))
    assert "already gone ahead" in again[0].message.plain_text()
    assert await _outbox(core) == keys  # pressed twice, sent once


async def test_prose_that_starts_with_to_or_at_is_still_text(talk: Talk, core: Core, code: str) -> None:
    await _joined(talk, code)
    assert "To everyone: the doors open" in await talk.say(OLIVIA, "/broadcast To everyone: the doors open")
    assert "At last, the doors are open" in await talk.say(OLIVIA, "/broadcast At last, the doors are open")


async def test_a_replaced_or_cancelled_preview_is_out_of_date(talk: Talk, core: Core, code: str) -> None:
    await _joined(talk, code)
    await talk.say(OLIVIA, "/broadcast First draft")
    first = talk.button(OLIVIA, "Send")
    await talk.say(OLIVIA, "/broadcast Second draft")
    stale = await core.handle(ButtonPress(OLIVIA, first.action, first.value))
    assert "out of date" in stale[0].message.plain_text()
    assert "Cancelled: nothing was sent" in await talk.press(OLIVIA, "Cancel")
    assert "You cancelled that broadcast, so nothing was sent" in await talk.press(OLIVIA, "Send")
    assert await _outbox(core) == []
    forged = await core.handle(ButtonPress(ALICE, "bsend", first.value))  # a member forging the button
    assert "out of date" in forged[0].message.plain_text()
    assert await _outbox(core) == []


async def test_edit_gives_back_the_command_to_change(talk: Talk, core: Core, code: str) -> None:
    await _joined(talk, code)
    await talk.say(OLIVIA, "/broadcast to rsvp-yes at 2026-12-05 09:00 See you")
    assert "/broadcast to rsvp-yes at 2026-12-05 09:00 See you" in await talk.press(OLIVIA, "Edit")
    assert "You chose Edit on that preview, so nothing was sent" in await talk.press(OLIVIA, "Send")


async def test_send_acts_on_the_audience_the_preview_counted(talk: Talk, core: Core, code: str) -> None:
    await _joined(talk, code)
    assert "(2 people)" in await talk.say(OLIVIA, "/broadcast Hello")
    await talk.say(BOB, "/leave")
    await talk.press(BOB, "Leave")
    changed = await talk.press(OLIVIA, "Send")
    assert "has changed since that preview; nothing was sent" in changed and "(1 person)" in changed
    assert await _outbox(core) == []
    await talk.press(OLIVIA, "Send")
    assert sorted(k.split(":")[-1] for k in await _outbox(core)) == ["2", "progress"]


async def test_scheduled_broadcasts_are_listed_and_cancelled(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _joined(talk, code)
    assert "No broadcasts" in await talk.say(OLIVIA, "/broadcasts")
    await talk.say(OLIVIA, "/broadcast at 2026-12-05 09:00 Kept")
    assert "Scheduled for Sat 05 Dec 09:00" in await talk.press(OLIVIA, "Send")
    await talk.say(OLIVIA, "/broadcast at 2026-12-05 10:00 Dropped")
    await talk.press(OLIVIA, "Send")
    listing = await talk.say(OLIVIA, "/broadcasts")
    assert listing.index("Kept") < listing.index("Dropped")
    assert [b.label for b in talk.last_buttons["olivia"]] == ["Cancel #1", "Cancel #2"]
    cancel = talk.button(OLIVIA, "Cancel #2")
    assert "will not go out" in await talk.press(OLIVIA, "Cancel #2")
    again = await core.handle(ButtonPress(OLIVIA, cancel.action, cancel.value))
    assert "nothing to cancel" in again[0].message.plain_text()
    assert "Dropped" not in await talk.say(OLIVIA, "/broadcasts")
    refused = await core.handle(ButtonPress(ALICE, "bcancel", "1"))
    assert "Only the organisers" in refused[0].message.plain_text()
    clock.set(datetime(2026, 12, 5, 9, 30, tzinfo=UTC))
    async with core.database.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 0
    await CampaignRunner(core.database, clock, core.policy).run_due()
    # The campaign's intros ran too (their delivery report is broadcast 3); of the two scheduled, only #1 went.
    texts = [k for k in await _outbox(core) if k.startswith(("broadcast:1:", "broadcast:2:"))]
    assert sorted(k.split(":", 1)[1] for k in texts) == ["1:2", "1:3", "1:progress"]


async def test_a_broadcast_waits_for_each_members_morning(talk: Talk, core: Core, code: str) -> None:
    await _joined(talk, code)
    assert "America/Los_Angeles" in await talk.say(BOB, "/timezone America/Los_Angeles")  # 01:00 there now
    shown = await talk.say(OLIVIA, "/broadcast Doors open at 18:00")
    assert "1 of them is in their quiet hours then (21:00–08:00 their time): they get it at 08:00" in shown
    await talk.press(OLIVIA, "Send")
    async with core.database.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.address, OutboxMessage.not_before))).all()
    due = {address: not_before for address, not_before in rows if address in ("alice", "bob")}
    assert due["alice"] is not None and due["alice"].replace(tzinfo=UTC) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert due["bob"] is not None and due["bob"].replace(tzinfo=UTC) == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
