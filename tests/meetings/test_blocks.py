"""A block ("Don't match me with them again") ends the meetings between the two: the booked one is called off
without saying who blocked whom, old buttons and new proposals are refused, and the blocker is not asked
"did you meet?" about them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.core.conftest import OLIVIA
from tests.fakes import person
from tests.meetings.conftest import SLOTS, Room, join_and_answer

ANN, KENJI = person("Ann"), person("Kenji")
LONDON = ZoneInfo("Europe/London")


async def _introduced(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Ann": ["Python"], "Kenji": ["Python"]})
    assert "set" in await room.talk.say(OLIVIA, SLOTS)
    assert "on its way" in await room.talk.match_now(OLIVIA)
    await room.deliver()


async def _book(room: Room) -> None:
    await room.press_delivered(KENJI, "Pick a time to meet")
    await room.press(KENJI, room.talk.button(KENJI, "19:15"))
    await room.press(KENJI, room.talk.button(KENJI, "Send proposal (1)"))
    await room.deliver()
    assert "Booked" in await room.press_delivered(ANN, "19:15")
    await room.deliver()


async def test_after_a_block_the_old_button_proposes_nothing(room: Room) -> None:
    await _introduced(room)
    pick = room.button(KENJI, "Pick a time to meet")
    assert "won't match you with Kenji again" in await room.press_delivered(ANN, "Don't match me")
    reply = await room.press(KENJI, pick)
    assert "no longer open" in reply and "Pick" not in reply
    assert await room.deliver() == []
    assert "Pick a time to meet" not in await room.talk.say(KENJI, "/meetings")


async def test_an_open_proposal_cannot_be_accepted_after_a_block(room: Room) -> None:
    await _introduced(room)
    await room.press_delivered(KENJI, "Pick a time to meet")
    await room.press(KENJI, room.talk.button(KENJI, "19:15"))
    await room.press(KENJI, room.talk.button(KENJI, "Send proposal (1)"))
    await room.deliver()
    accept = room.button(ANN, "19:15")
    await room.press_delivered(KENJI, "Don't match me")
    assert "Booked" not in await room.press(ANN, accept)
    assert "Meetings booked: 0" in await room.talk.say(OLIVIA, "/stats")


async def test_a_block_calls_off_the_meeting_and_its_follow_up(room: Room) -> None:
    await _introduced(room)
    await _book(room)
    blocked = await room.press_delivered(ANN, "Don't match me")
    assert "Your meeting with them is off" in blocked
    out = await room.deliver()
    assert "Calendar update (cancelled)" in " ".join(m.plain_text() for u, m in out if u == "ann")
    assert [m.plain_text() for u, m in out if u == "ann" and not m.attachments] == []  # Ann only gets the file
    told = {u: m for u, m in out}
    notice = told["kenji"].plain_text()
    assert "is off: it can't go ahead as planned." in notice and "Ann" not in notice and "block" not in notice
    assert told["kenji"].buttons == ()  # no "Pick a time" to book with her again
    assert "Meetings booked: 0" in await room.talk.say(OLIVIA, "/stats")
    # Sam's way round it: leave and join again; /meetings offers nothing with Ann.
    await room.talk.say(KENJI, "/leave")
    await room.talk.press(KENJI, "Leave")
    await room.talk.say(KENJI, f"/join {room.code}")
    assert "Pick a time to meet Ann" not in await room.talk.say(KENJI, "/meetings")
    # After the event Ann is not asked whether she met Kenji, by the booking's follow-up or the campaign's.
    room.clock.set(datetime(2026, 12, 11, 10, 0, tzinfo=LONDON))
    await room.talk.say(OLIVIA, "/followup")
    later = [(u, m.plain_text()) for u, m in await room.deliver()]
    assert [(u, t) for u, t in later if u == "ann" and "Did you meet" in t] == []
