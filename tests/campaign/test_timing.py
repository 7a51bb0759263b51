"""Local times across daylight-saving changes, and quiet hours, with no database and no wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campaign.plan import next_occurrence
from bot.campaign.timing import (
    QUIET_END,
    at_local,
    awake,
    group_delivery,
    known_zone,
    local_date,
    member_delivery,
    outside_quiet_hours,
    step_due,
)


@pytest.mark.parametrize(
    ("zone", "start_local", "expected_local"),
    [
        # London leaves summer time on 25 Oct 2026: T-7d is still BST, the event is GMT.
        ("Europe/London", datetime(2026, 10, 28, 18, 30), datetime(2026, 10, 21, 10, 0)),
        # Los Angeles leaves daylight time on 1 Nov 2026.
        ("America/Los_Angeles", datetime(2026, 11, 5, 19, 0), datetime(2026, 10, 29, 10, 0)),
        # Sydney starts daylight time on 4 Oct 2026.
        ("Australia/Sydney", datetime(2026, 10, 8, 18, 0), datetime(2026, 10, 1, 10, 0)),
    ],
)
def test_a_step_fires_at_the_local_hour_across_dst(zone: str, start_local: datetime, expected_local: datetime) -> None:
    start = start_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    due = step_due(start, zone, -7, "10:00", None)
    assert due.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == expected_local
    # the naive "minus 7×24 hours" answer would be an hour off on these dates
    naive = (start - timedelta(days=7)).astimezone(ZoneInfo(zone))
    assert naive.utcoffset() != start.astimezone(ZoneInfo(zone)).utcoffset()


def test_weekly_rounds_keep_their_local_hour_through_the_change() -> None:
    zone = "Europe/London"
    recurrence = {"every": "weekly", "weekday": 1, "time": "10:00"}  # Tuesdays 10:00
    when = datetime(2026, 10, 13, 12, 0, tzinfo=UTC)
    locals_seen = []
    for _ in range(4):
        when = next_occurrence(recurrence, zone, when)
        locals_seen.append(when.astimezone(ZoneInfo(zone)).strftime("%a %H:%M %Z"))
    assert locals_seen == ["Tue 10:00 BST", "Tue 10:00 GMT", "Tue 10:00 GMT", "Tue 10:00 GMT"]  # 20 Oct, 27 Oct…
    assert len({w.split()[0] for w in locals_seen}) == 1


def test_monthly_rounds_take_the_first_weekday() -> None:
    recurrence = {"every": "monthly", "weekday": 0, "time": "09:00"}
    first = next_occurrence(recurrence, "UTC", datetime(2026, 11, 22, tzinfo=UTC))
    assert first == datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC"))


def test_quiet_hours_move_to_eight_in_the_morning() -> None:
    zone = ZoneInfo("Australia/Sydney")
    late = datetime(2026, 12, 1, 22, 30, tzinfo=zone)
    early = datetime(2026, 12, 2, 6, 0, tzinfo=zone)
    fine = datetime(2026, 12, 2, 12, 0, tzinfo=zone)
    assert outside_quiet_hours(late, "Australia/Sydney") == datetime(2026, 12, 2, 8, 0, tzinfo=zone)
    assert outside_quiet_hours(early, "Australia/Sydney") == datetime(2026, 12, 2, 8, 0, tzinfo=zone)
    assert outside_quiet_hours(fine, "Australia/Sydney") == fine


def test_members_get_the_step_at_their_own_local_hour() -> None:
    start = datetime(2026, 12, 10, 18, 30, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    fired = step_due(start, "Europe/London", -7, "10:00", None)  # 10:00 London
    step_local = fired.astimezone(ZoneInfo("Europe/London"))

    def local(zone: str) -> str:
        when = member_delivery(fired, zone, step_local=step_local, deadline=start)
        return when.astimezone(ZoneInfo(zone)).strftime("%d %H:%M")

    assert local("Europe/London") == "03 10:00"
    assert local("America/Los_Angeles") == "03 10:00"  # west: later the same day
    # East: 10:00 on the 3rd had passed in Tokyo and Sydney when the step fired, so 10:00 the next day
    # (the regression: Tokyo got it at 19:00, Sydney at 08:00).
    assert local("Asia/Tokyo") == "04 10:00"
    assert local("Australia/Sydney") == "04 10:00"
    assert local("Pacific/Auckland") == "04 10:00"
    assert member_delivery(fired, "Europe/London") == fired  # not a local-hour step: as soon as it fires


def test_a_step_that_fired_late_is_not_held_back_a_day() -> None:
    start = datetime(2026, 12, 10, 18, 30, tzinfo=UTC)
    due = step_due(start, "Europe/London", -7, "10:00", None)
    late = due + timedelta(hours=3)  # the bot was down at 10:00
    assert member_delivery(late, "Europe/London", step_local=due.astimezone(ZoneInfo("Europe/London"))) == late


def test_a_pre_event_step_comes_before_the_event_when_a_waking_hour_allows() -> None:
    zone = "Europe/London"
    start = datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo(zone))  # a breakfast event
    fired = step_due(start, zone, -1, "10:00", None)  # the reminder, 10:00 London the day before
    step_local = fired.astimezone(ZoneInfo(zone))
    paris = member_delivery(fired, "Europe/Paris", step_local=step_local, deadline=start)
    # 10:00 Paris had passed when it fired; 10:00 Paris the next day is the very start: it comes at once instead
    assert paris == fired and paris.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") == "09 11:00"
    tokyo = member_delivery(fired, "Asia/Tokyo", step_local=step_local, deadline=start)
    assert tokyo.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%d %H:%M") == "10 10:00"  # 01:00 London: in time
    without = member_delivery(fired, "Europe/Paris", step_local=step_local)  # a step after the event: no deadline
    assert without.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") == "10 10:00"
    early = step_due(start, zone, 0, "07:00", None)  # 07:00 London on the day
    honolulu = member_delivery(early, "Pacific/Honolulu", step_local=early.astimezone(ZoneInfo(zone)), deadline=start)
    # 21:00 in Honolulu when it fires, quiet until after the start: nothing earlier helps, it keeps its hour
    assert honolulu > start and honolulu.astimezone(ZoneInfo("Pacific/Honolulu")).strftime("%H:%M") == "08:00"


# Properties over real zones (half-hour and 45-minute offsets, DST in both hemispheres) and times.
zones = st.timezone_keys(allow_prefix=False).filter(lambda zone: known_zone(zone) is not None)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(zones, zones, moments, clock_times, st.integers(0, 36 * 60))
def test_a_member_is_never_messaged_at_night_and_gets_the_step_at_its_hour(
    member_zone: str, event_zone: str, due: datetime, clock_time: time, late_minutes: int
) -> None:
    step_local = at_local(local_date(due, event_zone), clock_time, event_zone)
    fired = step_local + timedelta(minutes=late_minutes)  # steps fire on time, or late after a restart
    when = member_delivery(fired, member_zone, step_local=step_local)
    assert awake(when, member_zone) and when >= fired
    local = when.astimezone(ZoneInfo(member_zone))
    if when > fired:  # held back: to the step's hour there, or to 08:00 when that hour is in the night
        assert (
            local.time().replace(second=0) in (clock_time, QUIET_END)
            or local.utcoffset() != at_local(local.date(), clock_time, member_zone).utcoffset()
        )  # (or a daylight-saving change moved that hour)
        assert when - fired < timedelta(hours=24 + 13)


@given(st.lists(zones, min_size=1, max_size=4), moments)
@settings(max_examples=60, deadline=None)
def test_a_group_time_is_the_first_moment_everyone_is_awake(group: list[str], earliest: datetime) -> None:
    earliest = earliest.replace(second=0, microsecond=0)
    found = group_delivery(earliest, group)
    limit = found if found is not None else earliest + timedelta(hours=48)
    minute = earliest
    while minute < limit:  # brute force, minute by minute: nobody-awake-together before the answer
        assert not all(awake(minute, zone) for zone in group), (minute, group)
        minute += timedelta(minutes=1)
    if found is not None:
        assert found >= earliest and all(awake(found, zone) for zone in group)


def test_london_la_and_tokyo_are_never_all_awake_but_two_of_them_are() -> None:
    monday = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert group_delivery(monday, ["Europe/London", "America/Los_Angeles", "Asia/Tokyo"]) is None
    la_london = group_delivery(monday, ["Europe/London", "America/Los_Angeles"])
    assert la_london == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 08:00 in Los Angeles, 16:00 in London
    tokyo_auckland = group_delivery(monday, ["Asia/Tokyo", "Pacific/Auckland"])
    assert tokyo_auckland == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 08:00 Tokyo, 12:00 Auckland
