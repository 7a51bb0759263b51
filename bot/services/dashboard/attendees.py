"""The attendees table: every participant of an event with what the organiser filters on, and its CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from storage import events as event_queries
from storage import interests as interest_queries
from storage import intros as intro_queries
from storage.models import Event
from storage.session import AsyncSession

STATUSES = ("active", "paused", "unreachable", "left")
RSVPS = ("yes", "no", "unknown")
MET = ("yes", "not_yet", "no", "unknown")
SEARCH_LIMIT = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


@dataclass(frozen=True, slots=True)
class Attendee:
    member_id: int
    name: str
    handle: str | None
    platform: str
    status: str  # active / paused / unreachable / left
    role: str | None
    interests: tuple[str, ...]
    rsvp: str  # yes / no / unknown
    met: str  # yes / not_yet / no / unknown: the best answer over the event's rounds
    attended: str  # yes / no / unknown
    joined_at: datetime
    answered: bool


@dataclass(frozen=True, slots=True)
class AttendeeFilter:
    """The table's filters; a value that is not one of the choices is dropped (the form only offers those)."""

    search: str = ""
    status: str = ""
    interest: str = ""
    rsvp: str = ""
    met: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str], interests: Iterable[str]) -> AttendeeFilter:
        known = {label.casefold(): label for label in interests}

        def choice(name: str, allowed: Iterable[str]) -> str:
            value = query.get(name, "").strip()
            return value if value in allowed else ""

        return cls(
            search=" ".join(query.get("q", "").split())[:SEARCH_LIMIT],
            status=choice("status", STATUSES),
            interest=known.get(query.get("interest", "").strip().casefold(), ""),
            rsvp=choice("rsvp", RSVPS),
            met=choice("met", MET),
        )

    def admits(self, row: Attendee) -> bool:
        needle = self.search.casefold()
        found = not needle or needle in row.name.casefold() or needle in (row.handle or "").casefold()
        return (
            found
            and (not self.status or row.status == self.status)
            and (not self.interest or self.interest in row.interests)
            and (not self.rsvp or row.rsvp == self.rsvp)
            and (not self.met or row.met == self.met)
        )

    @property
    def active(self) -> bool:
        return any((self.search, self.status, self.interest, self.rsvp, self.met))


def _best_met(answers: list[str | None]) -> str:
    for answer in ("yes", "not_yet", "no"):
        if answer in answers:
            return answer
    return "unknown"


async def attendees(session: AsyncSession, event: Event) -> list[Attendee]:
    """Everyone who joined the event, in the order they joined (three queries, whatever the size)."""
    rows = await event_queries.participants_with_members(session, event.id)
    chosen: dict[int, list[str]] = defaultdict(list)
    for member_id, label in await interest_queries.chosen_labels(session, event.id):
        chosen[member_id].append(label)
    met: dict[int, list[str | None]] = defaultdict(list)
    for member_id, answer in await intro_queries.met_answers(session, event.id):
        met[member_id].append(answer)
    return [
        Attendee(
            member_id=member.id,
            name=member.display_name,
            handle=member.handle,
            platform=member.platform,
            status="left" if participant.left_at is not None else member.status,
            role=participant.role,
            interests=tuple(chosen[member.id]),
            rsvp=participant.rsvp or "unknown",
            met=_best_met(met[member.id]),
            attended=participant.attended or "unknown",
            joined_at=participant.joined_at,
            answered=participant.answered_at is not None,
        )
        for participant, member in rows
    ]


def _cell(value: str) -> str:
    """A cell as text: one that a spreadsheet would take for a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(rows: Iterable[Attendee], time_zone: str) -> str:
    """Every column the table shows; times in the event's zone."""
    zone = ZoneInfo(time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "handle", "platform", "status", "role", "interests", "rsvp", "met", "attended", "joined"])
    for row in rows:
        writer.writerow(
            [
                _cell(row.name),
                _cell(row.handle or ""),
                row.platform,
                row.status,
                _cell(row.role or ""),
                _cell("; ".join(row.interests)),
                row.rsvp,
                row.met,
                row.attended,
                row.joined_at.astimezone(zone).isoformat(timespec="minutes"),
            ]
        )
    return out.getvalue()
