"""/move takes the meeting slots and booked meetings to the new date, and tells the booked members."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from tests.core.conftest import OLIVIA
from tests.fakes import person
from tests.meetings.conftest import SLOTS, Room, join_and_answer

ALICE, BOB = person("Alice"), person("Bob")
LONDON = ZoneInfo("Europe/London")


async def test_moving_the_event_moves_its_slots_and_meetings(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "19:15")
    [booked] = [m for u, m in await room.deliver() if u == "alice" and m.attachments]
    [first] = icalendar.Calendar.from_ical(booked.attachments[0].data).walk("VEVENT")

    asked = await room.talk.say(OLIVIA, "/move 2026-12-17 18:30")
    assert "Members with a booked meeting get its new time" in asked  # /move asks first
    assert "now starts Thu 17 Dec 2026, 18:30" in await room.talk.press(OLIVIA, "Yes, move the event")
    out = await room.deliver()
    for user in ("alice", "bob"):
        notices = [m.plain_text() for u, m in out if u == user and not m.attachments]
        assert any("Moved" in t and "Thu 17 Dec, 19:15 at Bar" in t for t in notices), notices
    [file] = [m for u, m in out if u == "alice" and m.attachments]
    [moved] = icalendar.Calendar.from_ical(file.attachments[0].data).walk("VEVENT")
    assert moved["uid"] == first["uid"] and int(moved["sequence"]) == 1
    assert moved.decoded("dtstart") == datetime(2026, 12, 17, 19, 15, tzinfo=LONDON)
    grid = await room.talk.say(OLIVIA, "/meetings")
    assert "Booked: 1 of 88" in grid
    assert "Thu 17 Dec" in await room.press_delivered(ALICE, "Reschedule")  # the picker offers the new date

    # The reminder comes ten minutes before the new time, not the old one.
    room.clock.set(datetime(2026, 12, 10, 19, 5, tzinfo=LONDON))
    assert [m for _, m in await room.deliver() if "You're meeting" in m.plain_text()] == []
    room.clock.set(datetime(2026, 12, 17, 19, 5, tzinfo=LONDON))
    assert {u for u, m in await room.deliver() if "You're meeting" in m.plain_text()} == {"alice", "bob"}
