"""What one member does (propose, accept, cancel) reaches the others outside their quiet hours (21:00–08:00
in their own zone), like the campaign's messages: a Sydney member is not woken at 23:00."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.core.conftest import OLIVIA
from tests.fakes import person
from tests.meetings.conftest import SLOTS, Room, join_and_answer

ALICE, BOB = person("Alice"), person("Bob")
SYDNEY, LONDON = ZoneInfo("Australia/Sydney"), ZoneInfo("Europe/London")


def _texts(out: list[tuple[str, object]], user: str) -> list[str]:
    return [m.plain_text() for u, m in out if u == user]  # type: ignore[attr-defined]


async def test_proposal_acceptance_and_cancellation_wait_for_the_recipients_morning(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(BOB, "/timezone Australia/Sydney")
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()

    room.clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=SYDNEY))  # 12:00 in London
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    assert "Sent to Bob" in await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    assert _texts(await room.deliver(), "bob") == []  # 23:00 in Sydney
    room.clock.set(datetime(2026, 11, 25, 7, 59, tzinfo=SYDNEY))
    assert _texts(await room.deliver(), "bob") == []
    room.clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=SYDNEY))
    [proposal] = _texts(await room.deliver(), "bob")
    assert "Alice would like to meet you" in proposal

    room.clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=LONDON))  # Bob's 09:00, Alice's 22:00
    assert "Booked" in await room.press_delivered(BOB, "19:15")
    out = await room.deliver()
    assert _texts(out, "alice") == [] and any("you're meeting Alice" in t for t in _texts(out, "bob"))
    room.clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=LONDON))
    assert any("you're meeting Bob" in t for t in _texts(await room.deliver(), "alice"))

    room.clock.set(datetime(2026, 11, 26, 23, 0, tzinfo=SYDNEY))  # 12:00 in London
    assert "Cancelled" in await room.press_delivered(ALICE, "Cancel meeting")
    assert _texts(await room.deliver(), "bob") == []
    room.clock.set(datetime(2026, 11, 27, 8, 0, tzinfo=SYDNEY))
    assert any("is off: Alice cancelled it." in t for t in _texts(await room.deliver(), "bob"))


async def test_news_about_a_meeting_before_the_recipients_morning_goes_at_once(room: Room) -> None:
    """A cancellation on the evening of the event cannot wait for a Sydney morning: the meeting (06:15 there)
    would have passed by then."""
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(BOB, "/timezone Australia/Sydney")
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    room.clock.set(datetime(2026, 12, 9, 12, 0, tzinfo=LONDON))  # 23:00 in Sydney: the proposal waits
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    assert _texts(await room.deliver(), "bob") == []
    room.clock.set(datetime(2026, 12, 10, 8, 0, tzinfo=SYDNEY))
    await room.deliver()
    await room.press_delivered(BOB, "19:15")
    await room.deliver()
    room.clock.set(datetime(2026, 12, 10, 18, 0, tzinfo=LONDON))  # 05:00 in Sydney
    await room.deliver()  # Alice's confirmation, which waited for her morning
    await room.press_delivered(ALICE, "Cancel meeting")
    assert any("is off: Alice cancelled it." in t for t in _texts(await room.deliver(), "bob"))


async def test_did_you_meet_after_the_meeting_waits_for_the_morning(room: Room) -> None:
    """The meeting ends at 19:30 in London, 06:30 in Sydney: Bob is asked at 08:00 his time, Alice at once."""
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(BOB, "/timezone Australia/Sydney")
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "19:15")
    await room.deliver()
    room.clock.set(datetime(2026, 12, 10, 19, 30, tzinfo=LONDON))
    asked = {u for u, m in await room.deliver() if "Did you meet" in m.plain_text()}
    assert asked == {"alice"}
    room.clock.set(datetime(2026, 12, 11, 8, 0, tzinfo=SYDNEY))
    assert any("Did you meet Alice" in t for t in _texts(await room.deliver(), "bob"))
