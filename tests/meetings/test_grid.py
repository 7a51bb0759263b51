"""The organiser's one-line slots: what it accepts, what it refuses (always with a UserError), and that the
slots it makes never overlap and stay within the event's time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection

from bot.errors import UserError
from bot.meetings import grid
from storage.database import Database
from storage.models import Base

START = datetime(2026, 12, 10, 18, 30, tzinfo=UTC)  # 18:30 in London


def test_the_issue_example_and_capacities() -> None:
    spec = grid.parse('19:00-21:00 every 15 at "Bar*10, Terrace, Table 1-8"')
    assert (spec.start, spec.end, spec.every) == ("19:00", "21:00", 15)
    assert spec.places[0] == grid.PlaceSpec("Bar", 10) and spec.places[1] == grid.PlaceSpec("Terrace", 1)
    assert [p.name for p in spec.places[2:]] == [f"Table {n}" for n in range(1, 9)]
    slots = grid.slot_times(spec, START, "Europe/London")
    assert len(slots) == 8 and slots[0].starts_at == datetime(2026, 12, 10, 19, 0, tzinfo=UTC)
    assert [p.capacity for p in grid.parse("19:00-20:00 every 20 at Table 1-3*2").places] == [2, 2, 2]


def test_a_range_makes_up_to_the_place_limit() -> None:
    assert len(grid.parse("19:00-21:00 every 15 at Table 1-200").places) == grid.MAX_PLACES


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("19:00-21:00", "To set the meeting slots"),
        ("19:00-21:00 every 7 at Bar", "in steps of 5"),
        ("19:03-21:00 every 15 at Bar", "multiple of five"),
        ("25:00-26:00 every 15 at Bar", "not a time"),
        ("19:00-21:00 every 15 at Bar*0", "1 to 100"),
        ("19:00-21:00 every 15 at Bar, bar", "listed twice"),
        ("19:00-21:00 every 15 at Table 8-1", "a range goes up"),
        ('19:00-21:00 every 15 at "Table 1-100000"', "would make 100,000 places; at most 200"),
        ("19:00-21:00 every 15 at Table 1-201", "would make 201 places; at most 200"),
        ("19:00-21:00 every 15 at " + "x" * 5000, "at most 40 characters"),
        ('19:00-21:00 every 15 at "<b>Bar</b>*2, <!channel>"', None),  # plain names, shown escaped everywhere
    ],
)
def test_bad_lines_are_refused_with_a_reason(line: str, says: str | None) -> None:
    if says is None:
        assert [p.name for p in grid.parse(line).places] == ["<b>Bar</b>", "<!channel>"]
        return
    with pytest.raises(UserError, match=says):
        grid.parse(line)


def test_slots_stay_within_the_event() -> None:
    with pytest.raises(UserError, match="before the event"):
        grid.slot_times(grid.parse("18:00-19:00 every 15 at Bar"), START, "Europe/London")
    with pytest.raises(UserError, match="within 12 hours"):
        grid.slot_times(grid.parse("19:00-08:00 every 60 at Bar"), START, "Europe/London")
    with pytest.raises(UserError, match=r"end at 18:00, before they start \(19:00\)"):
        grid.slot_times(grid.parse("19:00-18:00 every 15 at Bar"), START, "Europe/London")
    with pytest.raises(UserError, match="start and end at 19:00"):
        grid.slot_times(grid.parse("19:00-19:00 every 15 at Bar"), START, "Europe/London")
    late = grid.slot_times(grid.parse("23:00-01:00 every 30 at Bar"), START, "Europe/London")  # past midnight
    assert late[-1].ends_at == datetime(2026, 12, 11, 1, 0, tzinfo=UTC)


@given(st.text(max_size=120))
def test_any_text_parses_or_is_refused_politely(line: str) -> None:
    try:
        spec = grid.parse(line)
    except UserError:
        return
    assert spec.places and 5 <= spec.every <= 240


@given(
    start=st.integers(0, 23 * 12).map(lambda n: n * 5),
    length=st.integers(1, 12 * 12).map(lambda n: n * 5),
    every=st.integers(1, 48).map(lambda n: n * 5),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Asia/Kathmandu", "Australia/Adelaide", "UTC"]),
    day=st.integers(0, 365),
)
def test_slots_never_overlap_and_stay_in_the_window(start: int, length: int, every: int, zone: str, day: int) -> None:
    """Around DST changes too (days across a whole year, zones with half- and quarter-hour offsets)."""
    event_start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=start)
    end = start + length
    spec = grid.GridSpec(
        f"{start // 60 % 24:02d}:{start % 60:02d}",
        f"{end // 60 % 24:02d}:{end % 60:02d}",
        every,
        (grid.PlaceSpec("Bar"),),
    )
    try:
        slots = grid.slot_times(spec, event_start.astimezone(UTC), zone)
    except UserError:
        return
    assert slots and len(slots) <= grid.MAX_SLOTS
    for first, second in itertools.pairwise(slots):
        assert first.ends_at <= second.starts_at
    assert all(s.ends_at - s.starts_at == timedelta(minutes=every) for s in slots)
    assert slots[0].starts_at >= event_start and slots[-1].ends_at <= event_start + timedelta(hours=12)


async def test_the_migration_makes_exactly_the_models_tables(database: Database) -> None:
    def differences(connection: Connection) -> list[object]:
        found = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
        return [d for d in found if "meeting" in repr(d)]

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
