"""Who a message is for or about: a stored ``Member``, or the light copy a round's pool holds of one.

A round of 100,000 members keeps its pool in memory while it is matched and written; as ORM objects that is
about nine objects per member for the garbage collector to walk (each full collection paused the loop), as
``PoolMember`` one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class Person(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def platform(self) -> str: ...
    @property
    def platform_user_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def handle(self) -> str | None: ...
    @property
    def time_zone(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PoolMember:
    id: int
    platform: str
    platform_user_id: str
    display_name: str
    handle: str | None
    time_zone: str | None


def told_apart(people: Iterable[Person]) -> dict[int, str]:
    """Each person's name as one list for an organiser shows it: people who share a name (two "Someone"s) are
    told apart by their handle when that differs, else by a number in the order they came."""
    by_name: dict[str, list[Person]] = defaultdict(list)
    for one in sorted(people, key=lambda p: p.id):
        by_name[one.display_name.casefold()].append(one)
    shown: dict[int, str] = {}
    for same in by_name.values():
        if len(same) == 1:
            shown[same[0].id] = same[0].display_name
            continue
        handles = [one.handle for one in same]
        distinct = all(handles) and len(set(handles)) == len(handles)
        for number, one in enumerate(same, start=1):
            shown[one.id] = f"{one.display_name} (@{one.handle})" if distinct else f"{one.display_name} ({number})"
    return shown
