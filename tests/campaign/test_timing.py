"""Local times across daylight-saving changes, and quiet hours, with no database and no wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.campaign.plan import next_occurrence
from bot.campaign.timing import member_delivery, outside_quiet_hours, step_due


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
