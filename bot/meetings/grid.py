"""The organiser's slots and places, as typed: ``19:00-21:00 every 15 at "Bar*10, Terrace, Table 1-8"``.

Pure parsing, no I/O. Times are the event's local time on its day; a slot lasts as long as the step between
slots, so the slots of one grid never overlap. A place seats one meeting unless it says otherwise with
``*N`` (the bar, ``Bar*10``, holds ten at once); ``Table 1-8`` is eight tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.parsing import shorten

USAGE = '/slots 19:00-21:00 every 15 at "Bar*10, Terrace, Table 1-8"'
EVERY_MINUTES = (5, 240)  # a slot lasts 5 minutes to 4 hours, in steps of 5
MAX_SLOTS = 96
MAX_PLACES = 200
MAX_CAPACITY = 100
PLACE_NAME_LIMIT = 40
LATEST_END_HOURS = 12  # slots may run up to twelve hours after the event starts

_SPEC = re.compile(
    r"^\s*(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})\s+every\s+(?P<every>\d{1,3})\s*"
    r"(?:m|min|mins|minutes)?\s+at\s+(?P<places>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_RANGE = re.compile(r"^(?P<prefix>.*?)\s*(?P<first>\d+)\s*-\s*(?P<last>\d+)$")
_CAPACITY = re.compile(r"^(?P<name>.+?)\s*\*\s*(?P<capacity>\d{1,4})$")


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    name: str
    capacity: int = 1


@dataclass(frozen=True, slots=True)
class GridSpec:
    """What the organiser asked for, in local clock times (kept as typed so a confirmation can re-apply it)."""

    start: str
    end: str
    every: int
    places: tuple[PlaceSpec, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "every": self.every,
            "places": [[p.name, p.capacity] for p in self.places],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridSpec:
        places = tuple(PlaceSpec(str(name), int(capacity)) for name, capacity in data["places"])
        return cls(str(data["start"]), str(data["end"]), int(data["every"]), places)


EMPTY = GridSpec("", "", 0, ())  # "/slots clear": no slots, no places


def parse(text: str) -> GridSpec:
    """The one-line form; every mistake is a UserError saying what was wrong."""
    match = _SPEC.match(text)
    if match is None:
        raise UserError(f"To set the meeting slots: {USAGE}\nOr send /slots alone for a guided form.")
    every = int(match["every"])
    return GridSpec(clock(match["start"]), clock(match["end"]), check_every(every), places(match["places"]))


def clock(value: str) -> str:
    raw = value.strip()
    try:
        parsed = time.fromisoformat(raw.zfill(5))
    except ValueError:
        raise UserError(f"“{shorten(raw)}” is not a time I can read. Use 24-hour HH:MM, e.g. 19:00.") from None
    if parsed.minute % 5:
        raise UserError(f"Slots start on a multiple of five minutes; {parsed:%H:%M} is not.")
    return parsed.strftime("%H:%M")


def check_every(minutes: int) -> int:
    low, high = EVERY_MINUTES
    if not low <= minutes <= high or minutes % 5:
        raise UserError(f"A slot lasts {low} to {high} minutes, in steps of 5 (e.g. every 15); not {minutes}.")
    return minutes


def places(text: str) -> tuple[PlaceSpec, ...]:
    """``Bar*10, Terrace, Table 1-8`` (quotes around the list are optional)."""
    raw = text.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'“”":
        raw = raw[1:-1]
    raw = raw.strip("“”\"' ")
    found: list[PlaceSpec] = []
    for part in (p.strip() for p in raw.replace("\n", ",").split(",")):
        if part:
            found.extend(_place(part))
        if len(found) > MAX_PLACES:
            raise UserError(f"At most {MAX_PLACES} places, please.")
    if not found:
        raise UserError(f"Name at least one place to meet, e.g. {USAGE}")
    seen: set[str] = set()
    for place in found:
        if place.name.casefold() in seen:
            raise UserError(f"“{shorten(place.name)}” is listed twice.")
        seen.add(place.name.casefold())
    return tuple(found)


def _place(part: str) -> list[PlaceSpec]:
    capacity = 1
    match = _CAPACITY.match(part)
    if match is not None:
        part, capacity = match["name"], int(match["capacity"])
        if not 1 <= capacity <= MAX_CAPACITY:
            raise UserError(f"A place holds 1 to {MAX_CAPACITY} meetings at once; not {capacity}.")
    ranged = _RANGE.match(part)
    if ranged is not None and ranged["prefix"].strip():
        first, last = int(ranged["first"]), int(ranged["last"])
        if not first < last:
            raise UserError(f"“{shorten(part)}”: a range goes up, e.g. Table 1-8.")
        if last - first + 1 > MAX_PLACES:
            raise UserError(f"“{shorten(part)}” would make {last - first + 1:,} places; at most {MAX_PLACES}, please.")
        prefix = ranged["prefix"].strip()
        return [PlaceSpec(_name(f"{prefix} {number}"), capacity) for number in range(first, last + 1)]
    return [PlaceSpec(_name(part), capacity)]


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name or not all(ch.isprintable() for ch in name):
        raise UserError("Place names are plain text, e.g. Bar or Table 4.")
    if len(name) > PLACE_NAME_LIMIT:
        raise UserError(f"Place names can be at most {PLACE_NAME_LIMIT} characters: “{shorten(name)}” is longer.")
    if "*" in name:
        raise UserError(f"“{shorten(name)}”: to say how many meetings a place holds, end it with *N, e.g. Bar*10.")
    return name


@dataclass(frozen=True, slots=True)
class SlotTime:
    starts_at: datetime
    ends_at: datetime


def slot_times(spec: GridSpec, event_start: datetime, zone_name: str) -> list[SlotTime]:
    """The slots in UTC, on the event's local day, each within the event's time (from its start, for at most
    twelve hours). Local times that do not exist (a DST jump) are refused, as for the event itself."""
    if not spec.places:
        return []
    zone = ZoneInfo(zone_name)
    local_start = event_start.astimezone(zone)
    day = local_start.date()
    first, last = _local(day, spec.start, zone), _local(day, spec.end, zone)
    if last == first:
        raise UserError(f"The slots start and end at {spec.start}: give a window, e.g. 19:00-21:00.")
    if last < first:
        last = _local(day + timedelta(days=1), spec.end, zone)  # a window past midnight: 22:00-01:00
        if last - first > timedelta(hours=LATEST_END_HOURS):
            raise UserError(
                f"The slots end at {spec.end}, before they start ({spec.start}). A window past midnight, "
                f"like 22:00-01:00, must end within {LATEST_END_HOURS} hours of the event's start."
            )
    starts_local = local_start.strftime("%H:%M")
    if first < event_start:
        raise UserError(f"The slots start at {spec.start}, before the event does ({starts_local}, {zone.key}).")
    if last > event_start + timedelta(hours=LATEST_END_HOURS):
        raise UserError(f"The slots must end within {LATEST_END_HOURS} hours of the event's start ({starts_local}).")
    step = timedelta(minutes=spec.every)
    slots = []
    moment = first
    while moment + step <= last:
        slots.append(SlotTime(moment, moment + step))
        moment += step
    if not slots:
        raise UserError(f"No {spec.every}-minute slot fits between {spec.start} and {spec.end}.")
    if len(slots) > MAX_SLOTS:
        raise UserError(f"That makes {len(slots)} slots; at most {MAX_SLOTS}, please (try a longer step).")
    return slots


def _local(day: Any, clock_time: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in clock_time.split(":"))
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UserError(f"{clock_time} doesn't exist on {day.isoformat()} in {zone.key}: the clocks jump then.")
    return moment
