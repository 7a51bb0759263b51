"""After the event: its meetings are read-only, booking says the event is over, stale RSVP buttons change nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.campaign.runner import CampaignRunner
from bot.context import Policy
from tests.core.conftest import OLIVIA
from tests.fakes import person, snapshot
from tests.meetings.conftest import SLOTS, Room, join_and_answer

ALICE, BOB = person("Alice"), person("Bob")
LONDON = ZoneInfo("Europe/London")
DAY_AFTER = datetime(2026, 12, 11, 10, 0, tzinfo=LONDON)


async def _booked_pair(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    assert "set" in await room.talk.say(OLIVIA, SLOTS)
    assert "on its way" in await room.talk.match_now(OLIVIA)
    await room.deliver()
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    assert "Booked" in await room.press_delivered(BOB, "19:15")
    await room.deliver()


async def test_a_meeting_that_happened_cannot_be_cancelled_or_moved(room: Room) -> None:
    await _booked_pair(room)
    assert "Meetings booked: 1" in await room.talk.say(OLIVIA, "/stats")
    room.clock.set(DAY_AFTER)
    await room.deliver()  # the reminder and "did you meet?" that were due
    cancel = room.button(BOB, "Cancel meeting")
    move = room.button(BOB, "Reschedule")
    assert "already happened" in await room.press(BOB, cancel)
    assert "already happened" in await room.press(BOB, move)
    assert "is over" in await room.talk.say(OLIVIA, '/slots 19:30-21:00 every 15 at "Terrace"')
    assert [m.plain_text() for u, m in await room.deliver() if "is off" in m.plain_text()] == []
    assert "Meetings booked: 1" in await room.talk.say(OLIVIA, "/stats")


async def test_picking_a_time_after_the_event_says_it_is_over(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    room.clock.set(DAY_AFTER)
    reply = await room.press_delivered(ALICE, "Pick a time to meet")
    assert "HR Tweetup London is over" in reply and "no free time" not in reply


async def test_a_stale_rsvp_button_after_the_event_changes_nothing(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    room.clock.set(datetime(2026, 12, 9, 10, 5, tzinfo=LONDON))
    await CampaignRunner(room.core.database, room.clock, Policy()).run_due()
    await room.deliver()
    yes = room.button(ALICE, "Yes")
    assert yes.action == "rsvp"
    room.clock.set(DAY_AFTER)
    before = await snapshot(room.core.database)
    reply = await room.press(ALICE, yes)
    assert "is over" in reply and "see you there" not in reply
    assert await snapshot(room.core.database) == before
