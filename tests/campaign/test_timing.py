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
    la = member_delivery(fired, start, "Europe/London", "America/Los_Angeles", -7, "10:00")
    assert la.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%d %H:%M") == "03 10:00"
    sydney = member_delivery(fired, start, "Europe/London", "Australia/Sydney", -7, "10:00")
    # 10:00 in Sydney was before the step fired; 10:00 London is 21:00 Sydney: quiet, so 08:00 next morning
    assert sydney.astimezone(ZoneInfo("Australia/Sydney")).strftime("%d %H:%M") == "04 08:00"
    assert member_delivery(fired, start, "Europe/London", None, -7, "10:00") == fired
