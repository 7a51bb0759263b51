"""The member's path on the real core and outbox: slots set, an intro offers times, a proposal is accepted,
the calendar file arrives and parses, the reminder fires ten minutes before, a cancel frees the slot."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.models import Meeting, MeetingBusy, MeetingSeat, OutboxMessage
from tests.core.conftest import OLIVIA
from tests.fakes import person, snapshot
from tests.meetings.conftest import SLOTS, Room, join_and_answer, parse_ics

ALICE, BOB = person("Alice"), person("Bob")
LONDON = ZoneInfo("Europe/London")


async def _introduced_pair(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    assert "set" in await room.talk.say(OLIVIA, SLOTS)
    await room.talk.say(ALICE, "/timezone Europe/Berlin")
    assert "on its way" in await room.talk.match_now(OLIVIA)
    await room.deliver()


async def test_intro_offers_times_both_accept_calendar_reminder_and_cancel(room: Room) -> None:
    await _introduced_pair(room)
    picker = await room.press_delivered(ALICE, "Pick a time to meet")
    # Times in the event's zone, with Alice's own (Berlin, an hour ahead) beside them.
    assert "Pick one or more times to meet Bob" in picker
    labels = [b.label for b in room.talk.last_buttons[ALICE.user_id]]
    times = [f"{19 + m // 60}:{m % 60:02d} (your {20 + m // 60}:{m % 60:02d})" for m in range(0, 120, 15)]
    assert labels == [*times, "Send proposal"]  # eight 15-minute slots from 19:00, the last at 20:45
    await room.press(ALICE, room.talk.button(ALICE, "19:15 (your 20:15)"))
    edited = await room.press(ALICE, room.talk.button(ALICE, "19:30 (your 20:30)"))
    assert "✅ 19:15" not in edited  # the edit re-renders the picker; marks are on the buttons
    assert [b.label for b in room.talk.last_buttons[ALICE.user_id] if b.label.startswith("✅")] == [
        "✅ 19:15 (your 20:15)",
        "✅ 19:30 (your 20:30)",
    ]
    sent = await room.press(ALICE, room.talk.button(ALICE, "Send proposal (2)"))
    assert "Sent to Bob: 19:15 (your 20:15), 19:30 (your 20:30)" in sent

    [(to, proposal)] = [(u, m) for u, m in await room.deliver()]
    assert to == "bob" and "Alice would like to meet you" in proposal.plain_text()
    async with room.core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 0  # nothing booked yet

    booked = await room.press_delivered(BOB, "19:30")
    assert "Booked: Thu 10 Dec, 19:30 at Bar" in booked

    out = await room.deliver()
    files = {u: m.attachments[0] for u, m in out if m.attachments}
    assert set(files) == {"alice", "bob"}
    confirmations = {u: m.plain_text() for u, m in out if "you're meeting" in m.plain_text()}
    assert (
        "Booked: you're meeting Bob" in confirmations["alice"] and "19:30 (your 20:30) at Bar" in confirmations["alice"]
    )
    assert "calendar.google.com" in confirmations["bob"] and "ctz=Europe%2FLondon" in confirmations["bob"]
    assert "ctz=Europe%2FBerlin" in confirmations["alice"]
    alice_entry = parse_ics(files["alice"].data)
    assert files["alice"].filename.endswith(".ics") and files["alice"].content_type == "text/calendar"
    assert alice_entry.decoded("dtstart") == datetime(2026, 12, 10, 20, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert alice_entry.decoded("dtstart").tzinfo.key == "Europe/Berlin"  # type: ignore[union-attr]
    assert str(alice_entry["location"]).startswith("Bar")
    assert parse_ics(files["bob"].data).decoded("dtend") == datetime(2026, 12, 10, 19, 45, tzinfo=LONDON)

    # Ten minutes before, at 19:20 London time: not a minute earlier.
    room.clock.set(datetime(2026, 12, 10, 19, 19, 59, tzinfo=LONDON))
    assert await room.deliver() == []
    room.clock.set(datetime(2026, 12, 10, 19, 20, tzinfo=LONDON))
    reminders = {u: m.plain_text() for u, m in await room.deliver()}
    assert reminders["bob"].startswith("⏰ You're meeting Alice at Bar at 19:30")
    assert "(20:30 on your clock)" in reminders["alice"]


async def test_cancel_tells_the_other_and_frees_the_slot(room: Room) -> None:
    await _introduced_pair(room)
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15 (your 20:15)"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "19:15")
    await room.deliver()
    grid = await room.talk.say(OLIVIA, "/meetings")
    assert "Booked: 1 of 88" in grid  # 8 slots × 11 seats (Bar*2, Terrace, Table 1-8)

    cancelled = await room.press_delivered(BOB, "Cancel meeting")
    assert "Cancelled: Thu 10 Dec, 19:15 at Bar" in cancelled and "I've told Alice" in cancelled
    told = {u: m.plain_text() for u, m in await room.deliver()}
    assert "is off: Bob cancelled it." in told["alice"]
    async with room.core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == 0
        assert await session.scalar(select(func.count()).select_from(MeetingBusy)) == 0
        waiting = select(func.count()).where(OutboxMessage.status == "queued", OutboxMessage.key.like("meeting:%"))
        assert await session.scalar(waiting) == 0  # the reminders were taken back
    assert "Booked: 0 of 88" in await room.talk.say(OLIVIA, "/meetings")
    room.clock.set(datetime(2026, 12, 10, 19, 5, tzinfo=UTC) + timedelta(minutes=1))
    assert [m for _, m in await room.deliver() if "You're meeting" in m.plain_text()] == []
    # Cancelling again is harmless.
    assert "already been cancelled" in await room.press(BOB, room.button(BOB, "Cancel meeting"))


async def test_after_losing_a_time_the_member_can_take_another_of_the_same_proposal(room: Room) -> None:
    """Regression: a second press on a proposal whose first-accepted time had filled retried that full time."""
    cat, dan = person("Cat"), person("Dan")
    await join_and_answer(
        room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"], "Cat": ["Hiking"], "Dan": ["Hiking"]}
    )
    assert "set" in await room.talk.say(OLIVIA, '/slots 19:00-19:30 every 15 at "Table 1"')
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    for proposer in (ALICE, cat):
        await room.press_delivered(proposer, "Pick a time to meet")
        await room.press(proposer, room.talk.button(proposer, "19:00"))
        await room.press(proposer, room.talk.button(proposer, "19:15"))
        await room.press(proposer, room.talk.button(proposer, "Send proposal (2)"))
    await room.deliver()
    assert "Booked: Thu 10 Dec, 19:00 at Table 1" in await room.press_delivered(dan, "19:00")
    lost = await room.press_delivered(BOB, "19:00")
    assert "19:00 was just taken by someone else" in lost and "The next free time is 19:15" in lost
    assert "Booked: Thu 10 Dec, 19:15 at Table 1" in await room.press(BOB, room.button(BOB, "19:15"))


async def _book_19_15(room: Room) -> None:
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15 (your 20:15)"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    assert "Booked" in await room.press_delivered(BOB, "19:15")
    await room.deliver()


async def test_leaving_frees_the_meeting_and_tells_the_other(room: Room) -> None:
    await _introduced_pair(room)
    await _book_19_15(room)
    assert '"place": "Bar"' in await room.talk.say(BOB, "/mydata")  # the export lists the meeting
    await room.talk.say(BOB, "/leave")
    await room.talk.press(BOB, "Leave")
    told = {u: m.plain_text() for u, m in await room.deliver()}
    assert "is off: Bob can't make it." in told["alice"]
    assert "Pick a time" not in told["alice"]  # nobody is left to meet
    assert "Booked: 0 of 88" in await room.talk.say(OLIVIA, "/meetings")


async def test_erasure_frees_the_meeting_without_naming_the_member(room: Room) -> None:
    await _introduced_pair(room)
    await _book_19_15(room)
    await room.talk.say(BOB, "/forget")
    await room.talk.press(BOB, "Yes, erase me")
    told = {u: m.plain_text() for u, m in await room.deliver()}
    assert "is off: one of you can no longer come." in told["alice"] and "Bob" not in told["alice"]
    async with room.core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == 0
        assert await session.scalar(select(func.count()).select_from(MeetingBusy)) == 0
        waiting = select(func.count()).where(OutboxMessage.status == "queued")
        assert await session.scalar(waiting) == 0  # no reminder to Alice naming Bob is left waiting


async def test_changing_booked_slots_asks_first_and_tells_the_members(room: Room) -> None:
    await _introduced_pair(room)
    await _book_19_15(room)
    before = await snapshot(room.core.database)
    preview = await room.talk.say(OLIVIA, '/slots 19:30-21:00 every 15 at "Bar*2, Terrace, Table 1-8"')
    assert "This change cancels 1 booked meeting:" in preview and "19:15 at Bar" in preview
    assert "Nothing changed" in await room.talk.press(OLIVIA, "No, keep them")
    changes = "meeting_grid_changes"
    after = await snapshot(room.core.database)
    assert {k: v for k, v in after.items() if k != changes} == {k: v for k, v in before.items() if k != changes}
    await room.talk.say(OLIVIA, '/slots 19:30-21:00 every 15 at "Bar*2, Terrace, Table 1-8"')
    applied = await room.talk.press(OLIVIA, "Yes, change the slots")
    assert "6 slots of 15 minutes" in applied and "1 meeting cancelled; their members have been told" in applied
    told = {u: m.plain_text() for u, m in await room.deliver()}
    for user in ("alice", "bob"):
        assert "is off: the organisers changed the meeting times and places." in told[user]
    assert "no longer waiting" in await room.talk.press(OLIVIA, "Yes, change the slots")  # pressed twice


async def test_the_schedule_exports_as_csv_with_names_kept_as_text(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"=HYPERLINK(1)": ["Python"], "Bob": ["Python"]})
    await room.talk.say(OLIVIA, SLOTS)
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    hacker = person("=HYPERLINK(1)")
    await room.press_delivered(hacker, "Pick a time to meet")
    await room.press(hacker, room.talk.button(hacker, "19:00"))
    await room.press(hacker, room.talk.button(hacker, "Send proposal (1)"))
    await room.deliver()
    await room.press_delivered(BOB, "19:00")
    await room.talk.say(OLIVIA, "/meetings csv")
    [file] = room.talk.last_message(OLIVIA).attachments
    rows = list(csv.reader(io.StringIO(file.data.decode())))
    assert file.filename.endswith(".csv") and rows[0] == ["date", "start", "end", "time zone", "place", "members"]
    assert rows[1] == ["2026-12-10", "19:00", "19:15", "Europe/London", "Bar", "'=HYPERLINK(1); Bob"]
    assert "Only the organisers" in await room.talk.say(BOB, "/meetings csv")


async def test_the_guided_form_sets_slots_and_re_asks_after_a_mistake(room: Room) -> None:
    assert "When can members meet?" in await room.talk.say(OLIVIA, "/slots")
    assert "How long is each slot" in await room.talk.say(OLIVIA, "19:00-20:00")
    retry = await room.talk.say(OLIVIA, "7")
    assert "in steps of 5" in retry and "How long is each slot" in retry  # the same question again
    assert "Where can they meet?" in await room.talk.say(OLIVIA, "20")
    done = await room.talk.say(OLIVIA, "Bar*2, Table 1-3")
    assert "3 slots of 20 minutes, 19:00–20:00 (Europe/London), at 4 places." in done and "Bar (2)" in done
    assert "Booked: 0 of 15" in await room.talk.say(OLIVIA, "/meetings")
    await room.talk.say(ALICE, f"/join {room.code}")
    assert "Only the organisers" in await room.talk.say(ALICE, "/slots 19:00-20:00 every 20 at Bar")
