"""Queries about holdouts: an event's holdout, its members' draws, and the outcomes of each group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EventOrganiser, Holdout, HoldoutDraw, Intro, IntroState, Participant, Round
from storage.upsert import insert_skipping_existing

INTRODUCED_STATES = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """One group of an event (introduced or held out): its size and how many said yes to each question."""

    members: int = 0
    rsvp_yes: int = 0
    attended: int = 0
    answered_attendance: int = 0
    met_someone_new: int = 0
    answered_met: int = 0  # told whether they met anyone new (yes or no); the others have not said


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """A combination of answers and how many members gave it (no names, no ids)."""

    held_out: bool | None  # None: the member has no draw (the event has no holdout)
    introduced: bool
    rsvp: str | None
    attended: str | None
    met_someone_new: str | None
    left: bool
    people: int


async def holdout_of(session: AsyncSession, event_id: int) -> Holdout | None:
    return await session.get(Holdout, event_id)


async def holdouts_of(session: AsyncSession, event_ids: Iterable[int]) -> Sequence[Holdout]:
    return (await session.scalars(select(Holdout).where(Holdout.event_id.in_(list(event_ids))))).all()


async def has_had_a_round(session: AsyncSession, event_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Round.event_id == event_id))))


async def clear(session: AsyncSession, event_id: int) -> None:
    """Remove the holdout and its draws (only ever before the first round)."""
    await session.execute(delete(HoldoutDraw).where(HoldoutDraw.event_id == event_id))
    await session.execute(delete(Holdout).where(Holdout.event_id == event_id))


def _organiser(event_id: int) -> ColumnElement[bool]:
    """Whether the participant organises the event: organisers are not attendees in the measurement, so they
    are never drawn and never counted, even one who joins their own event."""
    return exists().where(EventOrganiser.event_id == event_id, EventOrganiser.member_id == Participant.member_id)


async def undrawn(session: AsyncSession, event_id: int) -> list[int]:
    """Members of the event (including those who left, but not its organisers) who have no draw yet."""
    drawn = exists().where(HoldoutDraw.event_id == event_id, HoldoutDraw.member_id == Participant.member_id)
    query = select(Participant.member_id).where(Participant.event_id == event_id, ~drawn, ~_organiser(event_id))
    return list((await session.scalars(query.order_by(Participant.member_id))).all())


async def add_draws(session: AsyncSession, event_id: int, draws: Sequence[tuple[int, bool]], now: datetime) -> None:
    """Store draws; one that another transaction stored first is kept as it is (it is the same coin)."""
    if draws:
        await session.execute(
            insert_skipping_existing(session, HoldoutDraw, ("event_id", "member_id")),
            [
                {"event_id": event_id, "member_id": member_id, "held_out": held_out, "drawn_at": now}
                for member_id, held_out in draws
            ],
        )


async def held_out_members(session: AsyncSession, event_id: int) -> set[int]:
    query = select(HoldoutDraw.member_id).where(HoldoutDraw.event_id == event_id, HoldoutDraw.held_out.is_(True))
    return set((await session.scalars(query)).all())


async def draw_of(session: AsyncSession, event_id: int, member_id: int) -> HoldoutDraw | None:
    return await session.get(HoldoutDraw, (event_id, member_id))


async def draws_of_member(session: AsyncSession, member_id: int) -> Sequence[HoldoutDraw]:
    return (await session.scalars(select(HoldoutDraw).where(HoldoutDraw.member_id == member_id))).all()


async def group_counts(session: AsyncSession, event_id: int) -> dict[bool, GroupCounts]:
    """Counts per group, keyed by ``held_out``; every drawn member counts, whether they stayed or left (but an
    organiser, should one have been drawn before they became one)."""
    rows = await session.execute(
        select(
            HoldoutDraw.held_out,
            func.count(),
            func.count().filter(Participant.rsvp == "yes"),
            func.count().filter(Participant.attended == "yes"),
            func.count().filter(Participant.attended.is_not(None)),
            func.count().filter(HoldoutDraw.met_someone_new == "yes"),
            func.count().filter(HoldoutDraw.met_someone_new.is_not(None)),
        )
        .join(
            Participant,
            and_(Participant.event_id == HoldoutDraw.event_id, Participant.member_id == HoldoutDraw.member_id),
        )
        .where(HoldoutDraw.event_id == event_id, ~_organiser(event_id))
        .group_by(HoldoutDraw.held_out)
    )
    counts = {True: GroupCounts(), False: GroupCounts()}
    for held_out, members, rsvp_yes, attended, answered, met, answered_met in rows.all():
        counts[bool(held_out)] = GroupCounts(members, rsvp_yes, attended, answered, met, answered_met)
    return counts


async def outcome_rows(session: AsyncSession, event_id: int) -> list[OutcomeRow]:
    """Every combination of group and answers in the event, with how many members gave it."""
    was_introduced = (
        exists()
        .where(Intro.member_id == Participant.member_id, Intro.state.in_(INTRODUCED_STATES))
        .where(Intro.round_id.in_(select(Round.id).where(Round.event_id == event_id)))
    )
    introduced = was_introduced.label("introduced")
    left = Participant.left_at.is_not(None).label("left")
    met = HoldoutDraw.met_someone_new
    answers = (HoldoutDraw.held_out, introduced, Participant.rsvp, Participant.attended, met, left)
    rows = await session.execute(
        select(*answers, func.count())
        .select_from(Participant)
        .outerjoin(
            HoldoutDraw,
            and_(HoldoutDraw.event_id == Participant.event_id, HoldoutDraw.member_id == Participant.member_id),
        )
        .where(Participant.event_id == event_id, ~_organiser(event_id))
        .group_by(*answers)
    )
    return [
        OutcomeRow(None if h is None else bool(h), bool(i), rsvp, attended, met, bool(gone), int(people))
        for h, i, rsvp, attended, met, gone, people in rows.all()
    ]
