"""Value types of the matcher: inputs (candidates, history, rules) and the result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """One attendee who asked to be introduced this round."""

    member_id: int
    interests: frozenset[str] = frozenset()
    role: str | None = None
    utc_offset_hours: float | None = None
    platform: str = "console"
    cross_platform_ok: bool = False
    priority: bool = False


@dataclass(frozen=True, slots=True)
class PastMeeting:
    """Two members were introduced at ``when`` (aware UTC)."""

    a: int
    b: int
    when: datetime


@dataclass(frozen=True, slots=True)
class Rules:
    """Per-event matching rules.

    ``cross_roles``: for every set S listed, two members whose roles are both in S
    may only meet when their roles differ (recruiters meet candidates, not each
    other). Roles listed nowhere are unconstrained. ``max_per_role`` caps how many
    members sharing one (non-empty) role a group may hold.
    """

    group_size: int = 2
    cross_roles: frozenset[frozenset[str]] = frozenset()
    max_per_role: int | None = None
    prefer_within_hours: float | None = None

    def __post_init__(self) -> None:
        if self.group_size not in (2, 3, 4):
            raise ValueError(f"group_size must be 2, 3 or 4, not {self.group_size}")
        if self.max_per_role is not None and self.max_per_role < 1:
            raise ValueError("max_per_role must be at least 1")
        if self.prefer_within_hours is not None and self.prefer_within_hours < 0:
            raise ValueError("prefer_within_hours must not be negative")


@dataclass(frozen=True, slots=True)
class Group:
    """One introduction: ``members`` are sorted member ids."""

    members: tuple[int, ...]
    score: float
    shared_interests: tuple[str, ...]
    complementary_roles: tuple[str, ...]
    repeat: bool


@dataclass(frozen=True, slots=True)
class LeftOut:
    member_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    groups: tuple[Group, ...]
    left_out: tuple[LeftOut, ...]
    total_score: float
