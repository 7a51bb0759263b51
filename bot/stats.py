"""An event's numbers, counted once: the chat's ``stats``, its chart and the dashboard all show this value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.meetings.report import numbers as meeting_numbers
from bot.outcomes import report
from storage import holdouts
from storage import stats as stats_queries
from storage.models import Event, IntroState
from storage.session import AsyncSession

MATCHED = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)


@dataclass(frozen=True, slots=True)
class HoldoutFigures:
    """The holdout part of the numbers: its share and seed, and the lines /stats shows of its two groups."""

    percent: int
    seed: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventStats:
    joined: int
    left: int
    answered: int
    paused: int
    unreachable: int
    rsvp_yes: int
    rsvp_no: int
    matched: int
    said_hi: int
    met: int
    average_rating: float | None
    attended: int
    missed: int
    interests: tuple[tuple[str, int], ...]  # poll options in their order, with how many picked each
    meetings_booked: int = 0
    meetings_held: int = 0
    introduced: int = 0  # matched members whose introduction was delivered (not just queued)
    uncertain: int = 0  # the event's messages that may not have arrived (a timeout or a crash mid-send)
    holdout: HoldoutFigures | None = None  # the event's holdout, when it has one

    @property
    def still_in(self) -> int:
        return self.joined - self.left

    @property
    def rsvp_unknown(self) -> int:
        return self.still_in - self.rsvp_yes - self.rsvp_no

    @property
    def funnel(self) -> tuple[tuple[str, int], ...]:
        """joined → answered → matched → said hi → met → attended."""
        return (
            ("Joined", self.joined),
            ("Answered", self.answered),
            ("Matched", self.matched),
            ("Said hi", self.said_hi),
            ("Met", self.met),
            ("Attended", self.attended),
        )


async def event_stats(session: AsyncSession, event: Event, now: datetime) -> EventStats:
    people = await stats_queries.participants(session, event.id)
    intros = await stats_queries.intros(session, event.id, MATCHED)
    uncertain = await stats_queries.uncertain_messages(session, event.id)
    tallies = await stats_queries.poll_tallies(session, event.id)
    booked, held = await meeting_numbers(session, event.id, now)
    holdout = await holdouts.holdout_of(session, event.id)
    figures = None
    if holdout is not None:
        counts = await holdouts.group_counts(session, event.id)
        outcomes = report.EventOutcomes(introduced=counts[False], held_out=counts[True])
        figures = HoldoutFigures(holdout.percent, holdout.seed, report.lines(outcomes))
    return EventStats(
        joined=people.joined,
        left=people.left,
        answered=people.answered,
        paused=people.paused,
        unreachable=people.unreachable,
        rsvp_yes=people.rsvp_yes,
        rsvp_no=people.rsvp_no,
        matched=intros.matched,
        said_hi=intros.said_hi,
        met=intros.met,
        average_rating=intros.average_rating,
        attended=people.attended,
        missed=people.missed,
        interests=tallies,
        meetings_booked=booked,
        meetings_held=held,
        introduced=intros.introduced,
        uncertain=uncertain,
        holdout=figures,
    )
