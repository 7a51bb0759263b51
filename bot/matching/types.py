"""Value types of the matcher: inputs (candidates, history, rules) and the result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
    """One introduction: ``members`` are sorted member ids.

    ``shared_interests``: interests at least two members hold (most shared, then
    rarest first). ``complementary_roles``: roles of members meeting across
    ``Rules.cross_roles``. ``close_time_zones``: the rules prefer close time zones
    and every two members are within ``Rules.prefer_within_hours`` of each other
    (for a pair with neither shared interests nor complementary roles, that is
    the whole of its affinity). ``repeat``: two of the members met before.
    """

    members: tuple[int, ...]
    score: float
    shared_interests: tuple[str, ...]
    complementary_roles: tuple[str, ...]
    repeat: bool
    close_time_zones: bool = False


class LeftOutKind(StrEnum):
    """Why a member was left out (``LeftOut.reason`` says it in words)."""

    TOO_FEW = "too_few"  # fewer people this round than the smallest group
    NO_PARTNER = "no_partner"  # everyone else is blocked, or excluded by the platform or role rules
    OUTNUMBERED = "outnumbered"  # proven: more people of their kind than partners they may have
    ODD_ONE_OUT = "odd_one_out"  # pairs, an odd count, and no pair could take them as a third
    NOT_PLACED = "not_placed"  # the matcher found no group for them within the rules


@dataclass(frozen=True, slots=True)
class LeftOut:
    member_id: int
    reason: str
    kind: LeftOutKind = LeftOutKind.NOT_PLACED


@dataclass(frozen=True, slots=True)
class MatchResult:
    groups: tuple[Group, ...]
    left_out: tuple[LeftOut, ...]
    total_score: float
