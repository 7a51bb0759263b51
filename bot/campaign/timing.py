"""Local-time arithmetic for steps: DST-correct due times, and member-local delivery outside quiet hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def at_local(day: date, clock_time: str, zone: str) -> datetime:
    """``day`` at ``clock_time`` in ``zone``, as an aware datetime. zoneinfo picks the offset valid that day,
    so a step at 10:00 stays at 10:00 local across daylight-saving changes."""
    hour, minute = (int(part) for part in clock_time.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def step_due(
    start: datetime, event_zone: str, day_offset: int | None, clock_time: str | None, minutes_before: int | None
) -> datetime:
    """When a step fires: ``day_offset`` days from the event's local date at ``clock_time``, or a number of
    minutes before the start."""
    if minutes_before is not None:
        return start - timedelta(minutes=minutes_before)
    assert day_offset is not None and clock_time is not None
    return at_local(local_date(start, event_zone) + timedelta(days=day_offset), clock_time, event_zone)


def outside_quiet_hours(moment: datetime, zone: str) -> datetime:
    """The moment itself, or 08:00 local when it falls in the quiet hours (21:00–08:00)."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if QUIET_END <= local.time() < QUIET_START:
        return moment
    wake_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(wake_day, QUIET_END, tzinfo=tz)


def member_delivery(
    fired: datetime,
    start: datetime,
    event_zone: str,
    member_zone: str | None,
    day_offset: int | None,
    clock_time: str | None,
) -> datetime:
    """When a member should get a step's message: at the step's local hour in their own time zone (never
    before the step fired), moved out of their quiet hours."""
    zone = member_zone or event_zone
    target = fired
    if day_offset is not None and clock_time is not None:
        target = max(fired, at_local(local_date(start, event_zone) + timedelta(days=day_offset), clock_time, zone))
    return outside_quiet_hours(target, zone)
