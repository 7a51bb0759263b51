"""Who a message is for or about: a stored ``Member``, or the light copy a round's pool holds of one.

A round of 100,000 members keeps its pool in memory while it is matched and written; as ORM objects that is
about nine objects per member for the garbage collector to walk (each full collection paused the loop), as
``PoolMember`` one.
"""

from __future__ import annotations

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
