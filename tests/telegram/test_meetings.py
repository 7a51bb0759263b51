"""Meetings on Telegram, through the real adapter and outbox to the Bot API stand-in: slots set, the intro
offers times, both accept, the .ics arrives as a document and parses, the reminder fires at the right local
minute, and a cancel frees the slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from tests.telegram.conftest import Telegram, texts
from tests.telegram.stand_in import StandIn, User
from tests.telegram.test_conversation import OLIVIA, create_event

ANN = User(401, "Ann", username="ann_able")
BEN = User(402, "Ben")
LONDON = ZoneInfo("Europe/London")


def with_button(stand_in: StandIn, user: User, label: str) -> dict[str, Any]:
    """The newest bot message in the user's chat with a button labelled ``label`` (or ending with it)."""
    for message in reversed(stand_in.bot_messages(user.id)):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            if any(b["text"] == label or b["text"].endswith(" " + label) for b in row):
                return message
    raise AssertionError(f"no message with {label!r} for {user.first_name}")


async def test_meeting_booked_with_calendar_file_reminder_and_cancel(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    code = await create_event(telegram)
    for user in (ANN, BEN):
        await telegram.say(user, f"/join {code}")
        await telegram.press(user, stand_in.bot_messages(user.id)[-1], "Choose my interests")
        await telegram.press(user, stand_in.bot_messages(user.id)[-1], "Python")
        await telegram.press(user, stand_in.bot_messages(user.id)[-1], "Done")
    slots = texts(await telegram.say(OLIVIA, '/slots 19:00-21:00 every 15 at "Bar*2, Table 1-2"'))
    assert "8 slots of 15 minutes" in slots[0]
    await telegram.say(OLIVIA, "/match now")
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    await delivery.run_once()

    intro = with_button(stand_in, ANN, "Pick a time to meet 📅")
    assert intro["text"].startswith("👋 Meet Ben!")
    await telegram.press(ANN, intro, "Pick a time to meet 📅")
    picker = with_button(stand_in, ANN, "19:15")
    await telegram.press(ANN, picker, "19:15")
    await telegram.press(ANN, stand_in.bot_messages(ANN.id)[-1], "Send proposal (1)")
    assert "Sent to Ben: 19:15" in stand_in.bot_messages(ANN.id)[-1]["text"]
    await delivery.run_once()
    proposal = with_button(stand_in, BEN, "19:15")
    assert "Ann would like to meet you" in proposal["text"] or "@ann_able would like" in proposal["text"]
    booked = texts(await telegram.press(BEN, proposal, "19:15"))
    assert booked[0].startswith("✅ Booked: Thu 10 Dec, 19:15 at Bar")

    await delivery.run_once()
    for user in (ANN, BEN):
        [(name, content)] = stand_in.documents_to(user.id)
        assert name.endswith(".ics")
        [entry] = icalendar.Calendar.from_ical(content).walk("VEVENT")
        assert entry.decoded("dtstart") == datetime(2026, 12, 10, 19, 15, tzinfo=LONDON)
        assert str(entry["location"]) == "Bar, Tech Mixer"
    documents = [c for c in stand_in.calls_of("sendDocument") if c.status == 200]
    assert len(documents) == 2 and all(c.params["caption"].startswith("📎 Calendar file") for c in documents)
    assert not [t for t in texts(stand_in.calls) if "Calendar file" in t]  # was: the caption again, as a message
    confirmation = with_button(stand_in, ANN, "Cancel meeting")
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in confirmation["text"]
    assert stand_in.violations == []

    # The reminder: ten minutes before, at 19:05 London time, and not a second earlier.
    clock.set(datetime(2026, 12, 10, 19, 4, 59, tzinfo=LONDON))
    await delivery.run_once()
    assert not any("You're meeting" in m.get("text", "") for m in stand_in.bot_messages(ANN.id))
    clock.set(datetime(2026, 12, 10, 19, 5, tzinfo=LONDON))
    await delivery.run_once()
    assert stand_in.bot_messages(ANN.id)[-1]["text"].startswith("⏰ You're meeting Ben at Bar at 19:15")

    cancelled = texts(await telegram.press(BEN, with_button(stand_in, BEN, "Cancel meeting"), "Cancel meeting"))
    assert "The slot is free again" in cancelled[0]
    await delivery.run_once()
    assert "is off: Ben cancelled it." in stand_in.bot_messages(ANN.id)[-1]["text"]
    grid = texts(await telegram.say(OLIVIA, "/meetings"))
    assert "Booked: 0 of 32" in grid[0]
