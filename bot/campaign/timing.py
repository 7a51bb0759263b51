"""Local-time arithmetic: DST-correct due times, and when a person (or a group of people) may be messaged.

Waking hours are 08:00–21:00 local; nothing the campaign or a round sends to a person is due outside them.
A per-member step goes out at its local hour in the member's own zone (the first such hour at or after the
step fired); a message to several people at once goes out at the first moment that is within everyone's
waking hours, or, when no such moment exists, not as one message at all (see :func:`group_delivery`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
GROUP_HORIZON = timedelta(hours=48)  # waking hours repeat daily: if no shared moment in two days, none exists


def known_zone(name: str | None) -> str | None:
    """``name`` when it is an IANA time zone this machine knows (as a platform profile reports it), else None."""
    return name if name and name in _zones() else None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def at_local(day: date, clock_time: str | time, zone: str) -> datetime:
    """``day`` at ``clock_time`` in ``zone``, as an aware datetime. zoneinfo picks the offset valid that day,
    so a step at 10:00 stays at 10:00 local across daylight-saving changes."""
    if isinstance(clock_time, str):
        hour, minute = (int(part) for part in clock_time.split(":"))
        clock_time = time(hour, minute)
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(zone))


def step_due(
    start: datetime, event_zone: str, day_offset: int | None, clock_time: str | None, minutes_before: int | None
) -> datetime:
    """When a step fires: ``day_offset`` days from the event's local date at ``clock_time``, or a number of
    minutes before the start."""
    if minutes_before is not None:
        return start - timedelta(minutes=minutes_before)
    assert day_offset is not None and clock_time is not None
    return at_local(local_date(start, event_zone) + timedelta(days=day_offset), clock_time, event_zone)


def awake(moment: datetime, zone: str) -> bool:
    """Whether ``moment`` is within waking hours (08:00–21:00) in ``zone``."""
    return QUIET_END <= moment.astimezone(ZoneInfo(zone)).time() < QUIET_START


def outside_quiet_hours(moment: datetime, zone: str) -> datetime:
    """The moment itself, or 08:00 local when it falls in the quiet hours (21:00–08:00)."""
    if awake(moment, zone):
        return moment
    local = moment.astimezone(ZoneInfo(zone))
    wake_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return at_local(wake_day, QUIET_END, zone)


def local_hour(step_local: datetime, zone: str) -> datetime:
    """A step's wall-clock hour in ``zone``. ``step_local`` is its scheduled time in the event's zone; the same
    hour in ``zone`` on the same calendar date, or, for a zone east of the event's (where that moment came
    before the step was due), on the next date: a Tokyo member gets London's 10:00 step at 10:00 Tokyo."""
    wall = step_local.replace(tzinfo=None)
    day = wall.date()
    target = at_local(day, wall.time(), zone)
    while target < step_local:
        day += timedelta(days=1)
        target = at_local(day, wall.time(), zone)
    return target


def on_its_date(step_local: datetime, zone: str) -> datetime:
    """A step's wall-clock hour in ``zone`` on the step's own calendar date, even when that moment is before the
    step's time in the event's zone (east of it): "X is tomorrow" must arrive the day before in every zone."""
    wall = step_local.replace(tzinfo=None)
    return at_local(wall.date(), wall.time(), zone)


def member_delivery(
    fired: datetime,
    zone: str,
    *,
    step_local: datetime | None = None,
    deadline: datetime | None = None,
    dated: bool = False,
) -> datetime:
    """When a person in ``zone`` should get a message of a step that fired at ``fired``.

    ``step_local``: the step's scheduled time in the event's zone, for a step meant for a local hour ("10:00"):
    the member gets it at that hour in their own zone (never before the step fired: a step that fired late is
    not held back a day). Without it (a step relative to the start, an organiser's command), as soon as
    possible. Either way moved out of the member's quiet hours. ``deadline``: a message about something that
    starts then (a pre-event step) is brought forward to the first waking moment after ``fired`` rather than
    arrive after it, when that moment is still before it. ``dated``: the message names a day ("tomorrow", "in
    three days"), so it keeps the step's date in the member's zone (:func:`on_its_date`; such a step fires
    early enough for members east of the event, see ``plan.EARLY_LEAD``) rather than move to the next one.
    """
    if step_local is None:
        target = fired
    else:
        target = max(fired, on_its_date(step_local, zone) if dated else local_hour(step_local, zone))
    when = outside_quiet_hours(target, zone)
    if deadline is not None and fired < deadline <= when:
        soonest = outside_quiet_hours(fired, zone)
        if soonest < deadline:
            return soonest
    return when


def group_delivery(earliest: datetime, zones: Collection[str], horizon: timedelta = GROUP_HORIZON) -> datetime | None:
    """The first moment at or after ``earliest`` that is within waking hours in every zone; None when there is
    none (zones too far apart: the waking hours of London, Los Angeles and Tokyo never overlap).

    Exact, not sampled: the moments when everyone is awake form intervals, and each one opens either at
    ``earliest`` or at 08:00 somewhere, so those are the only candidates.
    """
    unique = sorted(set(zones))
    if all(awake(earliest, zone) for zone in unique):
        return earliest  # the common case (everyone awake already): no search
    candidates = {earliest}
    for zone in unique:
        first = local_date(earliest, zone)
        for offset in range(horizon.days + 2):
            wake = at_local(first + timedelta(days=offset), QUIET_END, zone)
            if earliest <= wake <= earliest + horizon:
                candidates.add(wake)
    for moment in sorted(candidates):
        if all(awake(moment, zone) for zone in unique):
            return moment
    return None
