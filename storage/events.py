"""Queries about events, their organisers and participants."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, EventOrganiser, InterestOption, Member, Participant


def start_before_change(event: Event) -> datetime | None:
    """The start ``event`` had before ``starts_at`` was set in this session and not yet flushed; None when it
    was not changed."""
    history = inspect(event).attrs.starts_at.history
    return history.deleted[0] if history.deleted else None


async def by_code(session: AsyncSession, code: str) -> Event | None:
    return await session.scalar(select(Event).where(Event.join_code == code.upper()))


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(func.count()).where(Event.join_code == code))) != 0


async def is_organiser(session: AsyncSession, event_id: int, member_id: int) -> bool:
    row = await session.get(EventOrganiser, (event_id, member_id))
    return row is not None


async def participant(session: AsyncSession, event_id: int, member_id: int) -> Participant | None:
    return await session.get(Participant, (event_id, member_id))


async def participants_with_members(session: AsyncSession, event_id: int) -> list[tuple[Participant, Member]]:
    """Everyone who joined the event (including those who left), in the order they joined."""
    query = (
        select(Participant, Member)
        .join(Member, Member.id == Participant.member_id)
        .where(Participant.event_id == event_id)
        .order_by(Participant.joined_at, Member.id)
    )
    return [(participant, member) for participant, member in (await session.execute(query)).all()]


async def coming(session: AsyncSession, event_id: int) -> set[int]:
    """Members still in the event who have not said they won't come (RSVP "no")."""
    query = select(Participant.member_id).where(
        Participant.event_id == event_id, Participant.left_at.is_(None), Participant.rsvp.is_distinct_from("no")
    )
    return set((await session.scalars(query)).all())


async def away(session: AsyncSession, event_id: int, member_ids: Collection[int]) -> set[int]:
    """Which of these members left the event or said they won't come (RSVP "no")."""
    if not member_ids:
        return set()
    query = select(Participant.member_id, Participant.left_at, Participant.rsvp).where(
        Participant.event_id == event_id, Participant.member_id.in_(list(member_ids))
    )
    rows = (await session.execute(query)).all()
    return {member_id for member_id, left_at, rsvp in rows if left_at is not None or rsvp == "no"}


async def organised_by(session: AsyncSession, member_id: int) -> Sequence[Event]:
    query = (
        select(Event)
        .join(EventOrganiser, EventOrganiser.event_id == Event.id)
        .where(EventOrganiser.member_id == member_id)
        .order_by(Event.starts_at)
    )
    return (await session.scalars(query)).all()


async def joined_by(session: AsyncSession, member_id: int) -> Sequence[Event]:
    query = (
        select(Event)
        .join(Participant, Participant.event_id == Event.id)
        .where(Participant.member_id == member_id, Participant.left_at.is_(None))
        .order_by(Event.starts_at)
    )
    return (await session.scalars(query)).all()


async def options(session: AsyncSession, event_id: int) -> Sequence[InterestOption]:
    query = select(InterestOption).where(InterestOption.event_id == event_id).order_by(InterestOption.position)
    return (await session.scalars(query)).all()


async def organisers(session: AsyncSession, event_id: int) -> Sequence[Member]:
    query = (
        select(Member)
        .join(EventOrganiser, EventOrganiser.member_id == Member.id)
        .where(EventOrganiser.event_id == event_id)
        .order_by(Member.id)
    )
    return (await session.scalars(query)).all()
