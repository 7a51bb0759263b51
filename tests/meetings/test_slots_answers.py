"""What /slots and the grid say, through the core: totals that multiply out, no "free again" for a removed
place, a window ending before it starts, and a community (no date) refused."""

from __future__ import annotations

from bot.core import Core
from tests.core.conftest import OLIVIA
from tests.fakes import Talk, person, snapshot
from tests.meetings.conftest import Room, join_and_answer

ALICE, BOB = person("Alice"), person("Bob")


async def test_the_grid_total_multiplies_out_with_capacities(room: Room) -> None:
    await room.talk.say(OLIVIA, '/slots 19:00-20:00 every 15 at "Bar*2, Terrace, Table 1-2"')
    grid = await room.talk.say(OLIVIA, "/meetings")
    assert "Booked: 0 of 20 (4 slots × 5 meetings at once at 4 places)" in grid
    await room.talk.say(OLIVIA, '/slots 19:00-20:00 every 15 at "Terrace, Table 1-2"')
    assert "Booked: 0 of 12 (4 slots × 3 places)" in await room.talk.say(OLIVIA, "/meetings")


async def test_a_meeting_at_a_removed_place_is_not_called_free_again(room: Room) -> None:
    await join_and_answer(room.talk, room.code, {"Alice": ["Python"], "Bob": ["Python"]})
    await room.talk.say(OLIVIA, '/slots 19:00-20:00 every 15 at "Bar, Terrace"')
    await room.talk.match_now(OLIVIA)
    await room.deliver()
    await room.press_delivered(ALICE, "Pick a time to meet")
    await room.press(ALICE, room.talk.button(ALICE, "19:15"))
    await room.press(ALICE, room.talk.button(ALICE, "Send proposal (1)"))
    await room.deliver()
    assert "at Bar" in await room.press_delivered(BOB, "19:15")
    await room.deliver()
    await room.talk.say(OLIVIA, '/slots 19:00-20:00 every 15 at "Terrace"')
    await room.talk.press(OLIVIA, "Yes, change the slots")
    notices = [m.plain_text() for u, m in await room.deliver() if "is off" in m.plain_text()]
    assert len(notices) == 2 and not any("free again" in t for t in notices)


async def test_a_window_that_ends_before_it_starts_is_refused(room: Room) -> None:
    before = await snapshot(room.core.database)
    reply = await room.talk.say(OLIVIA, '/slots 19:00-18:00 every 15 at "Bar"')
    assert "end at 18:00, before they start (19:00)" in reply
    assert await snapshot(room.core.database) == before


async def test_a_community_has_no_slots(core: Core) -> None:
    talk = Talk(core)
    await talk.say(OLIVIA, '/newcommunity "Python London" weekly tue 10:00 Europe/London')
    before = await snapshot(talk.core.database)
    reply = await talk.say(OLIVIA, '/slots 19:00-20:00 every 15 at "Bar"')
    assert "community with recurring rounds" in reply and "no meeting slots" in reply
    assert await snapshot(talk.core.database) == before
