"""A booked meeting as a calendar entry: an .ics file (RFC 5545, written by ``icalendar``) and a Google link.

A rescheduled meeting keeps its entry's UID with a higher SEQUENCE, so calendars move it instead of adding a
second one; a cancellation is the same UID with METHOD:CANCEL.

Both carry the meeting in the member's own time zone (the event's when they have none): the file's times
have that zone's TZID (with its VTIMEZONE), and the link asks Google Calendar to show that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar

from bot.messages import Attachment

GOOGLE = "https://calendar.google.com/calendar/render"
PRODID = "-//Icebreaker//Meetings at the event//EN"
MEDIA_TYPE = "text/calendar"
REMINDER = timedelta(minutes=10)  # the calendar's alarm, like the bot's own reminder


@dataclass(frozen=True, slots=True)
class Entry:
    meeting_id: int
    title: str  # "Meet Ann at Table 4"
    event_name: str
    place: str
    starts_at: datetime
    ends_at: datetime
    zone: str  # the member's zone, or the event's
    sequence: int = 0  # the same entry (UID) again: higher for each reschedule and for the cancellation
    cancelled: bool = False  # METHOD:CANCEL, STATUS:CANCELLED: the calendar removes the entry


def ics(entry: Entry, stamp: datetime) -> bytes:
    zone = ZoneInfo(entry.zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"meeting-{entry.meeting_id}@icebreaker")
    event.add("dtstamp", stamp)
    event.add("sequence", entry.sequence)
    event.add("dtstart", entry.starts_at.astimezone(zone))
    event.add("dtend", entry.ends_at.astimezone(zone))
    event.add("summary", entry.title)
    event.add("location", f"{entry.place}, {entry.event_name}")
    event.add("description", f"Booked with Icebreaker for {entry.event_name}.")
    if entry.cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", entry.title)
        alarm.add("trigger", -REMINDER)
        event.add_component(alarm)
    calendar.add_component(_vtimezone(entry.zone, entry.starts_at.year))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


@lru_cache(maxsize=256)
def _vtimezone(zone: str, year: int) -> icalendar.Timezone:
    """The zone's rules around the meeting's year only: icalendar's default span (1970-2038) costs tens of
    milliseconds of CPU per file and a long list of transitions nobody needs."""
    return icalendar.Timezone.from_tzinfo(
        ZoneInfo(zone), tzid=zone, first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31)
    )


def attachment(entry: Entry, stamp: datetime) -> Attachment:
    return Attachment(f"meeting-{entry.meeting_id}.ics", MEDIA_TYPE, ics(entry, stamp))


def google_link(entry: Entry) -> str:
    def utc(moment: datetime) -> str:
        return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")

    query = {
        "action": "TEMPLATE",
        "text": entry.title,
        "dates": f"{utc(entry.starts_at)}/{utc(entry.ends_at)}",
        "location": f"{entry.place}, {entry.event_name}",
        "details": f"Booked with Icebreaker for {entry.event_name}.",
        "ctz": entry.zone,
    }
    return f"{GOOGLE}?{urlencode(query)}"
