"""Small pieces of message text shared by several commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.models import Event

EVENT_LASTS = timedelta(hours=12)  # an event's meeting slots run at most this long after its start, so it is over then


def is_over(event: Event, now: datetime) -> bool:
    """Whether a dated event is over (a community, with recurring rounds, never is)."""
    return event.recurrence is None and now >= event.starts_at + EVENT_LASTS


def local_start(event: Event) -> str:
    """The event's start as its attendees read it: local date and time, with the zone named."""
    local = event.starts_at.astimezone(ZoneInfo(event.time_zone))
    return f"{local:%a %d %b %Y, %H:%M} ({event.time_zone})"


def date_only(moment: datetime, zone: str | None) -> str:
    return f"{moment.astimezone(ZoneInfo(zone or 'UTC')):%d %b %Y}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
