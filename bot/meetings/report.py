"""What organisers see of the meetings: the grid (places × slots, booked or free), totals, the CSV schedule,
and the two numbers of ``/stats``."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import Attachment, Message, MessageBuilder, bold, code, italic
from bot.people import told_apart
from bot.views import plural
from storage import meetings as queries
from storage.models import Event
from storage.session import AsyncSession

COLUMNS = 8  # slots per block of the grid: about 60 characters wide
NAME_WIDTH = 12
CELL = 6
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


async def grid(session: AsyncSession, event: Event, now: datetime) -> Message:
    zone = ZoneInfo(event.time_zone)
    slots = await queries.slots_of(session, event.id)
    places = await queries.places_of(session, event.id)
    builder = MessageBuilder().line(bold(f"Meetings at {event.name}"), f" — times in {event.time_zone}")
    if not slots or not places:
        builder.line("No meeting slots yet. Set them with ", code('/slots 19:00-21:00 every 15 at "Bar*10, Table 1-8"'))
        return builder.build()
    taken = await queries.taken(session, event.id)
    for first in range(0, len(slots), COLUMNS):
        block = slots[first : first + COLUMNS]
        header = " " * NAME_WIDTH + "".join(f"{s.starts_at.astimezone(zone):%H:%M}".rjust(CELL) for s in block)
        builder.line(code(header))
        for place in places:
            cells = "".join(_cell(taken.get((s.id, place.id), 0), place.capacity).rjust(CELL) for s in block)
            builder.line(code(_clip(place.name).ljust(NAME_WIDTH) + cells))
    at_once = sum(p.capacity for p in places)
    seats = len(slots) * at_once
    booked = sum(taken.values())
    held = (await numbers(session, event.id, now))[1]
    builder.line(italic("■ booked  · free  n/N: meetings booked of what the place holds"))
    room = plural(len(places), "place")
    if at_once != len(places):  # a place holds more than one (Bar*2): the product is of meetings, not places
        room = f"{plural(at_once, 'meeting')} at once at {room}"
    builder.line(f"Booked: {booked} of {seats} ({plural(len(slots), 'slot')} × {room}) · held so far: {held}")
    builder.line("The schedule as a spreadsheet: /meetings csv")
    return builder.build()


def _cell(count: int, capacity: int) -> str:
    if capacity == 1:
        return "■" if count else "·"
    return f"{count}/{capacity}"


def _clip(name: str) -> str:
    return name if len(name) < NAME_WIDTH else name[: NAME_WIDTH - 2] + "…"


async def numbers(session: AsyncSession, event_id: int, now: datetime) -> tuple[int, int]:
    """(meetings booked, meetings held): booked ones not cancelled; held, those over whose members said they met."""
    return await queries.booked_and_held(session, event_id, now)


def _safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a name like ``=HYPERLINK(…)`` must not become a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


async def csv_message(session: AsyncSession, event: Event) -> Message:
    zone = ZoneInfo(event.time_zone)
    meetings = await queries.live_meetings_of_event(session, event.id)
    members = await queries.members_by_group(session, {m.group_id for m in meetings})
    shown = told_apart({m.id: m for group in members.values() for m in group}.values())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "start", "end", "time zone", "place", "members"])
    for meeting in meetings:
        start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
        who = "; ".join(shown[m.id] for m in members.get(meeting.group_id, []))
        writer.writerow(
            [
                f"{start:%Y-%m-%d}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                event.time_zone,
                _safe(meeting.place_name),
                _safe(who),
            ]
        )
    file = Attachment(f"meetings-{event.join_code}.csv", "text/csv", out.getvalue().encode())
    builder = MessageBuilder().line(f"📎 The schedule of {event.name}: {plural(len(meetings), 'meeting')}.")
    return builder.build(attachments=(file,))
