"""Meetings on Slack, through signed requests, the real adapter and outbox, to the Web API stand-in: slots set
from the modal, the intro in the group DM offers times, both accept, the .ics is uploaded to the group DM
(files.getUploadURLExternal, the upload, files.completeUploadExternal) and parses, the reminder fires at the
right local minute, and a cancel frees the slot."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress, Command, Sender
from storage.database import Database
from tests.slack.conftest import Harness, _harness
from tests.slack.test_end_to_end import buttons, match_now, text_of

ORGANISER, ADA, BOB = "UORG0001", "UADA0001", "UBOB0001"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
async def e2e(sqlite_database: Database, clock: ManualClock, api: Any) -> AsyncIterator[Harness]:
    core = Core(sqlite_database, clock, Policy(group_dm_platforms=frozenset({"slack"})), rng=random.Random(1))
    async for harness in _harness(core, api):
        for user, name in ((ORGANISER, "Olivia"), (ADA, "Ada"), (BOB, "Bob")):
            harness.api.add_user(user, name)
        yield harness


def with_button(messages: list[dict[str, Any]], label: str) -> dict[str, Any]:
    for message in reversed(messages):
        if label in buttons(message):
            return message
    raise AssertionError(f"no message with a {label!r} button")


async def test_meeting_in_the_group_dm_with_uploaded_calendar_reminder_and_cancel(
    e2e: Harness, sqlite_database: Database, clock: ManualClock
) -> None:
    slack, api = e2e.slack, e2e.api
    core = e2e.adapter.listeners.core
    await slack.command(ORGANISER, 'newevent "Tech Mixer" 2026-12-10 18:30 Europe/London')
    await slack.command(ORGANISER, "poll Python, Hiking")
    await e2e.settle()
    code = text_of(api.posts_to(api.dm_of(ORGANISER) or "")[0]).split("Join code: ")[1].split()[0].strip("`")
    for user, name in ((ADA, "Ada"), (BOB, "Bob")):  # joining and the poll are covered by the end-to-end test
        who = Sender("slack", user, name)
        await core.handle(Command(who, "join", code))
        await core.handle(ButtonPress(who, "interests", "1"))
        await core.handle(ButtonPress(who, "pick", "1.1"))
        await core.handle(ButtonPress(who, "picked", "1"))

    # The organiser's modal for slots becomes the one-line command.
    await slack.command(ORGANISER, "slots")
    await e2e.settle()
    [opened] = api.calls_to("views.open")
    assert opened["view"]["callback_id"] == "slots"
    await slack.submit(
        ORGANISER,
        "slots",
        {
            "from": {"selected_time": "19:00"},
            "until": {"selected_time": "20:00"},
            "every": {"selected_option": {"value": "15"}},
            "places": {"value": "Bar*2, Table 1-3"},
        },
    )
    await e2e.settle()
    assert "4 slots of 15 minutes" in text_of(api.posts_to(api.dm_of(ORGANISER) or "")[-1])

    await match_now(e2e)
    delivery = Delivery(sqlite_database, {"slack": e2e.adapter}, clock)
    await delivery.run_once()
    group = api.conversation(ADA, BOB)
    assert group is not None and group.startswith("G")
    intro = with_button(api.posts_to(group), "Pick a time to meet 📅")

    # Ada picks from the group DM; the picker comes to her DM and is updated in place as she picks.
    await slack.press(ADA, buttons(intro)["Pick a time to meet 📅"], channel=group, ts=intro["ts"])
    await e2e.settle()
    ada_dm, bob_dm = api.dm_of(ADA), api.dm_of(BOB)
    assert ada_dm is not None and bob_dm is not None
    picker = with_button(api.posts_to(ada_dm), "19:15")
    await slack.press(ADA, buttons(picker)["19:15"], channel=ada_dm, ts=picker["ts"])
    await e2e.settle()
    picker = api.messages[(ada_dm, picker["ts"])]
    assert "✅ 19:15" in buttons(picker)
    await slack.press(ADA, buttons(picker)["Send proposal (1)"], channel=ada_dm, ts=picker["ts"])
    await e2e.settle()
    await delivery.run_once()
    proposal = with_button(api.posts_to(bob_dm), "19:15")
    await slack.press(BOB, buttons(proposal)["19:15"], channel=bob_dm, ts=proposal["ts"])
    await e2e.settle()
    assert "Booked: Thu 10 Dec, 19:15 at Bar" in text_of(api.posts_to(bob_dm)[-1])

    # One confirmation and one calendar file, in the group DM, uploaded the way files_upload_v2 does it.
    await delivery.run_once()
    confirmation = with_button(api.posts_to(group), "Cancel meeting")
    assert "Booked:" in text_of(confirmation) and "calendar.google.com" in text_of(confirmation)
    [shared] = api.files_in(group)
    assert shared["name"].endswith(".ics") and "Calendar file" in (shared["title"] or "")
    methods = [c.method for c in api.calls if c.method.startswith("files.") or c.method == "upload"]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [entry] = icalendar.Calendar.from_ical(shared["content"]).walk("VEVENT")
    assert entry.decoded("dtstart") == datetime(2026, 12, 10, 19, 15, tzinfo=LONDON)
    assert entry.decoded("dtend") == datetime(2026, 12, 10, 19, 30, tzinfo=LONDON)

    # Ten minutes before, each in their own DM.
    clock.set(datetime(2026, 12, 10, 19, 4, tzinfo=LONDON))
    await delivery.run_once()
    assert not any("You're meeting" in text_of(p) for p in api.posts_to(ada_dm))
    clock.set(datetime(2026, 12, 10, 19, 5, tzinfo=LONDON))
    await delivery.run_once()
    for dm, other in ((ada_dm, BOB), (bob_dm, ADA)):
        assert text_of(api.posts_to(dm)[-1]).startswith(f"⏰ You're meeting <@{other}> at Bar at 19:15")

    # Bob cancels from the group DM: Ada is told, and the slot is free again.
    await slack.press(BOB, buttons(confirmation)["Cancel meeting"], channel=group, ts=confirmation["ts"])
    await e2e.settle()
    assert "The slot is free again" in text_of(api.posts_to(bob_dm)[-1])
    await delivery.run_once()
    assert "is off: Bob cancelled it." in text_of(api.posts_to(ada_dm)[-1])
    await slack.command(ORGANISER, "meetings")
    await e2e.settle()
    assert "Booked: 0 of 20" in text_of(api.posts_to(api.dm_of(ORGANISER) or "")[-1])
