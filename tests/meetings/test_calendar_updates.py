"""The calendar file follows the meeting: a reschedule updates the same entry (same UID, higher SEQUENCE) and a
cancellation removes it (METHOD:CANCEL, same UID), for everyone in it."""

from __future__ import annotations

import icalendar

from bot.messages import Message
from tests.core.conftest import OLIVIA
from tests.fakes import person
from tests.meetings.conftest import SLOTS, Room, join_and_answer

ALICE, BOB = person("Alice"), person("Bob")


def _files(out: list[tuple[str, Message]]) -> dict[str, icalendar.Calendar]:
    return {u: icalendar.Calendar.from_ical(m.attachments[0].data) for u, m in out if m.attachments}


def _entry(calendar: icalendar.Calendar) -> tuple[str, int, str]:
    [event] = calendar.walk("VEVENT")
    return str(event["uid"]), int(event["sequence"]), str(calendar["method"])


async def test_reschedule_updates_the_entry_and_cancel_removes_it(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "19:15")
    first = _files(await room.deliver())
    uid, sequence, method = _entry(first["alice"])
    assert (sequence, method) == (0, "PUBLISH") and _entry(first["bob"])[0] == uid

    await room.press_delivered(BOB, "Reschedule")
    await room.press(BOB, room.talk.button(BOB, "20:00"))
    await room.press(BOB, room.talk.button(BOB, "Send proposal (1)"))
    await room.deliver()
    assert "Booked" in await room.press_delivered(ALICE, "20:00")
    moved = _files(await room.deliver())
    assert set(moved) == {"alice", "bob"}
    for calendar in moved.values():
        assert _entry(calendar) == (uid, 1, "PUBLISH")
        [event] = calendar.walk("VEVENT")
        assert event.decoded("dtstart").strftime("%H:%M") == "20:00"

    assert "Cancelled" in await room.press_delivered(ALICE, "Cancel meeting")
    removed = _files(await room.deliver())
    assert set(removed) == {"alice", "bob"}
    for calendar in removed.values():
        assert _entry(calendar) == (uid, 2, "CANCEL")
        [event] = calendar.walk("VEVENT")
        assert str(event["status"]) == "CANCELLED"

    # A meeting booked after a real cancellation is a new entry.
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "20:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "20:15")
    again = _files(await room.deliver())
    new_uid, new_sequence, _ = _entry(again["bob"])
    assert new_uid != uid and new_sequence == 0
