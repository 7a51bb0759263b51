"""Meetings in the console, as the shell shows them: slots, an intro offering times, a booking whose calendar
file is printed as an attachment, the reminder at the right local minute, and a cancel."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.clock import ManualClock
from storage.database import Database
from tests.cli.harness import ShellRun

LONDON = ZoneInfo("Europe/London")


async def test_book_a_meeting_in_the_shell(sqlite_database: Database, clock: ManualClock) -> None:
    run = ShellRun.start(sqlite_database, clock)
    lines, out, console, delivery = run.lines, run.out, run.console, run.delivery

    created = await lines('/newevent "Mixer" 2026-12-10 18:30 Europe/London', "/poll Python, Hiking, Design")
    code = re.search(r"Join code: (\w+)", created)
    assert code
    assert "4 slots of 15 minutes" in await lines('/slots 19:00-20:00 every 15 at "Bar, Table 1"')
    for name in ("Alice", "Bob"):
        await lines(f"/as {name}", f"/join {code[1]}", "1", "1", "4")
    sent = await lines("/as Olivia", "/match now")
    assert "[4] Pick a time to meet 📅" in sent[sent.index("✉  to alice") :]

    picker = await lines("/as Alice", "4")
    assert "[1] 19:00   [2] 19:15   [3] 19:30" in picker and "[5] Send proposal" in picker
    await lines("2")
    proposal = await lines("5")
    assert "Sent to Bob (@bob): 19:15." in proposal
    assert "✉  to bob" in proposal and "[1] 19:15\n   [2] Suggest another time" in proposal

    booked = await lines("/as Bob", "1")
    assert "✅ Booked: Thu 10 Dec, 19:15 at Bar." in booked
    assert re.search(r"📎 meeting-1\.ics \(text/calendar, [\d,]+ bytes\)", booked)
    shown = out.getvalue()
    assert shown.count("📎 Calendar file: Thu 10 Dec, 19:15 at Bar") == 2, shown  # once for Bob, once for Alice
    files = [m.attachments[0] for user, m in console.sent if m.attachments]
    assert len(files) == 2
    [entry] = icalendar.Calendar.from_ical(files[0].data).walk("VEVENT")
    assert entry.decoded("dtstart") == datetime(2026, 12, 10, 19, 15, tzinfo=LONDON)

    start = out.tell()
    clock.set(datetime(2026, 12, 10, 19, 4, tzinfo=LONDON))
    await delivery.run_once()
    assert "You're meeting" not in out.getvalue()[start:]
    clock.set(datetime(2026, 12, 10, 19, 5, tzinfo=LONDON))
    await delivery.run_once()
    reminders = out.getvalue()[start:]
    assert "⏰ You're meeting Bob (@bob) at Bar at 19:15" in reminders
    assert "⏰ You're meeting Alice (@alice) at Bar at 19:15" in reminders

    cancelled = await lines("/as Bob", "2")  # "Cancel meeting" on the confirmation
    assert "Cancelled: Thu 10 Dec, 19:15 at Bar." in cancelled and "is off: Bob cancelled it." in cancelled
    assert "Booked: 0 of 8" in await lines("/as Olivia", "/meetings")
