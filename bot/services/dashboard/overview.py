"""What the dashboard reads about events: the organiser's events in one line each, and one event's page
(its numbers, from the same ``event_stats`` as the chat's ``stats``, and its rounds with groups and reasons)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from bot.stats import EventStats, event_stats
from bot.views import local_start
from storage import events as event_queries
from storage import rounds as round_queries
from storage.models import Event, IntroState
from storage.session import AsyncSession

GROUPS_SHOWN = 200  # per round; a page with thousands of groups helps nobody (the CSV has every attendee)


@dataclass(frozen=True, slots=True)
class EventLine:
    id: int
    name: str
    starts: str  # local date and time, with the zone named
    starts_at: datetime
    time_zone: str
    join_code: str
    community: bool
    stats: EventStats


@dataclass(frozen=True, slots=True)
class GroupView:
    names: tuple[str, ...]
    score: float
    reason: str
    state: str


@dataclass(frozen=True, slots=True)
class RoundView:
    number: int
    created_at: datetime
    groups: tuple[GroupView, ...]
    more_groups: int  # groups beyond GROUPS_SHOWN
    left_out: tuple[tuple[str, str], ...]  # (name, why)


@dataclass(frozen=True, slots=True)
class EventOverview:
    event: EventLine
    time_zone: str
    rounds: tuple[RoundView, ...]


async def line(session: AsyncSession, event: Event, now: datetime) -> EventLine:
    return EventLine(
        event.id,
        event.name,
        local_start(event),
        event.starts_at,
        event.time_zone,
        event.join_code,
        event.recurrence is not None,
        await event_stats(session, event, now),
    )


async def organised(session: AsyncSession, member_id: int, now: datetime) -> list[EventLine]:
    return [await line(session, event, now) for event in await event_queries.organised_by(session, member_id)]


def group_reason(shared: list[str], roles: list[str], size: int) -> str:
    """Why a group was made, for the organiser (the members' intro says it in the second person). In a group
    of three or more a shared interest is one at least two of them hold, not necessarily everyone."""
    if shared:
        return ("Shared: " if size <= 2 else "Shared by at least two: ") + ", ".join(shared[:3])
    if roles:
        return "Different sides: " + " and ".join(roles)
    return "No shared interest left: the rest of the room was spoken for"


async def rounds(session: AsyncSession, event: Event) -> tuple[RoundView, ...]:
    round_rows = await round_queries.of_event_newest_first(session, event.id)
    if not round_rows:
        return ()
    ids = [r.id for r in round_rows]
    groups = await round_queries.groups_of(session, ids)
    names: dict[int, list[str]] = defaultdict(list)
    left_out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for placed in await round_queries.named_placements(session, ids):
        if placed.group_id is not None:
            names[placed.group_id].append(placed.name)
        elif placed.state == IntroState.LEFT_OUT:
            left_out[placed.round_id].append((placed.name, placed.reason or ""))
    by_round: dict[int, list[GroupView]] = defaultdict(list)
    for group in groups:
        view = GroupView(
            tuple(names[group.id]),
            group.score,
            group_reason(group.shared, group.roles, len(names[group.id])),
            group.state,
        )
        by_round[group.round_id].append(view)
    return tuple(
        RoundView(
            r.number,
            r.created_at,
            tuple(by_round[r.id][:GROUPS_SHOWN]),
            max(0, len(by_round[r.id]) - GROUPS_SHOWN),
            tuple(left_out[r.id]),
        )
        for r in round_rows
    )


async def overview(session: AsyncSession, event: Event, now: datetime) -> EventOverview:
    return EventOverview(await line(session, event, now), event.time_zone, await rounds(session, event))
