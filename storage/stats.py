"""Counts of one event for its numbers (``bot.stats``): its participants, its introductions, its poll."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import String, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
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


@dataclass(frozen=True, slots=True)
class ParticipantCounts:
    """Everyone who joined, and of those still in: who answered the poll, their status, RSVPs and attendance."""

    joined: int
    left: int
    answered: int
    paused: int
    unreachable: int
    rsvp_yes: int
    rsvp_no: int
    attended: int
    missed: int


@dataclass(frozen=True, slots=True)
class IntroCounts:
    matched: int  # members with an intro in one of the matched states
    said_hi: int
    met: int
    average_rating: float | None
    introduced: int  # matched members whose introduction was delivered (not just queued)


async def participants(session: AsyncSession, event_id: int) -> ParticipantCounts:
    """One statement, however many members."""
    staying = Participant.left_at.is_(None)
    counted = func.count().filter
    query = (
        select(
            func.count(),
            counted(Participant.left_at.is_not(None)),
            counted(staying, Participant.answered_at.is_not(None)),
            counted(staying, Member.status == "paused"),
            counted(staying, Member.status == "unreachable"),
            counted(staying, Participant.rsvp == "yes"),
            counted(staying, Participant.rsvp == "no"),
            counted(staying, Participant.attended == "yes"),
            counted(staying, Participant.attended == "no"),
        )
        .select_from(Participant)
        .join(Member, Member.id == Participant.member_id)
        .where(Participant.event_id == event_id)
    )
    return ParticipantCounts(*(int(number or 0) for number in (await session.execute(query)).one()))


async def intros(session: AsyncSession, event_id: int, matched: Collection[str]) -> IntroCounts:
    """The event's introductions; ``matched``: the intro states that count as matched."""
    states = list(matched)
    of_event = (Round, Round.id == Intro.round_id)
    row = (
        await session.execute(
            select(
                func.count(func.distinct(Intro.member_id)).filter(Intro.state.in_(states)),
                func.count().filter(Intro.state == IntroState.SAID_HI),
                func.count().filter(Intro.met == "yes"),
                func.avg(Intro.rating),
            )
            .join(*of_event)
            .where(Round.event_id == event_id)
        )
    ).one()
    matched_count, said_hi, met, rating = row
    prefix = literal("intro:") + cast(Intro.group_id, String) + literal(":")
    delivered = exists().where(
        OutboxMessage.status == OutboxStatus.SENT,
        or_(OutboxMessage.key == prefix + cast(Intro.member_id, String), OutboxMessage.key == prefix + "group"),
    )
    introduced = await session.scalar(
        select(func.count(func.distinct(Intro.member_id)))
        .join(*of_event)
        .where(Round.event_id == event_id, Intro.state.in_(states), delivered)
    )
    return IntroCounts(
        matched=int(matched_count or 0),
        said_hi=int(said_hi or 0),
        met=int(met or 0),
        average_rating=float(rating) if rating is not None else None,
        introduced=int(introduced or 0),
    )


async def uncertain_messages(session: AsyncSession, event_id: int) -> int:
    """The event's messages that may not have arrived (a timeout or a crash mid-send)."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.event_id == event_id, OutboxMessage.status == OutboxStatus.UNCERTAIN)
    )
    return int(await session.scalar(query) or 0)


async def poll_tallies(session: AsyncSession, event_id: int) -> tuple[tuple[str, int], ...]:
    """The poll's options in their order, with how many members picked each."""
    rows = await session.execute(
        select(InterestOption.label, func.count(MemberInterest.member_id))
        .outerjoin(MemberInterest, MemberInterest.option_id == InterestOption.id)
        .where(InterestOption.event_id == event_id)
        .group_by(InterestOption.id, InterestOption.label, InterestOption.position)
        .order_by(InterestOption.position)
    )
    return tuple((str(label), int(number)) for label, number in rows.all())
