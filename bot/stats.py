"""An event's numbers, counted once: the chat's ``stats``, its chart and the dashboard all show this value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meetings.report import numbers as meeting_numbers
from bot.outcomes import report
from storage import holdouts
from storage.models import (
    Event,
    InterestOption,
    Intro,
    IntroState,
    Member,
    MemberInterest,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Round,
)

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
    in_event = Participant.event_id == event.id

    async def count(*conditions: Any) -> int:
        query = select(func.count()).select_from(Participant).join(Member, Member.id == Participant.member_id)
        return int(await session.scalar(query.where(in_event, *conditions)) or 0)

    staying = Participant.left_at.is_(None)
    intros = await session.execute(
        select(
            func.count(func.distinct(Intro.member_id)).filter(Intro.state.in_(MATCHED)),
            func.count().filter(Intro.state == IntroState.SAID_HI),
            func.count().filter(Intro.met == "yes"),
            func.avg(Intro.rating),
        )
        .join(Round, Round.id == Intro.round_id)
        .where(Round.event_id == event.id)
    )
    matched, said_hi, met, rating = intros.one()
    prefix = literal("intro:") + cast(Intro.group_id, String) + literal(":")
    delivered = exists().where(
        OutboxMessage.status == OutboxStatus.SENT,
        or_(OutboxMessage.key == prefix + cast(Intro.member_id, String), OutboxMessage.key == prefix + "group"),
    )
    introduced = await session.scalar(
        select(func.count(func.distinct(Intro.member_id)))
        .join(Round, Round.id == Intro.round_id)
        .where(Round.event_id == event.id, Intro.state.in_(MATCHED), delivered)
    )
    uncertain = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.event_id == event.id, OutboxMessage.status == OutboxStatus.UNCERTAIN)
    )
    tallies = await session.execute(
        select(InterestOption.label, func.count(MemberInterest.member_id))
        .outerjoin(MemberInterest, MemberInterest.option_id == InterestOption.id)
        .where(InterestOption.event_id == event.id)
        .group_by(InterestOption.id, InterestOption.label, InterestOption.position)
        .order_by(InterestOption.position)
    )
    booked, held = await meeting_numbers(session, event.id, now)
    holdout = await holdouts.holdout_of(session, event.id)
    figures = None
    if holdout is not None:
        counts = await holdouts.group_counts(session, event.id)
        outcomes = report.EventOutcomes(introduced=counts[False], held_out=counts[True])
        figures = HoldoutFigures(holdout.percent, holdout.seed, report.lines(outcomes))
    return EventStats(
        joined=await count(),
        left=await count(Participant.left_at.is_not(None)),
        answered=await count(staying, Participant.answered_at.is_not(None)),
        paused=await count(staying, Member.status == "paused"),
        unreachable=await count(staying, Member.status == "unreachable"),
        rsvp_yes=await count(staying, Participant.rsvp == "yes"),
        rsvp_no=await count(staying, Participant.rsvp == "no"),
        matched=int(matched or 0),
        said_hi=int(said_hi or 0),
        met=int(met or 0),
        average_rating=float(rating) if rating is not None else None,
        attended=await count(staying, Participant.attended == "yes"),
        missed=await count(staying, Participant.attended == "no"),
        interests=tuple((str(label), int(number)) for label, number in tallies.all()),
        meetings_booked=booked,
        meetings_held=held,
        introduced=int(introduced or 0),
        uncertain=int(uncertain or 0),
        holdout=figures,
    )
