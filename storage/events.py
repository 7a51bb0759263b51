"""Queries about events, their organisers and participants."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, EventOrganiser, InterestOption, Member, Participant


async def by_code(session: AsyncSession, code: str) -> Event | None:
    return await session.scalar(select(Event).where(Event.join_code == code.upper()))


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(func.count()).where(Event.join_code == code))) != 0


async def is_organiser(session: AsyncSession, event_id: int, member_id: int) -> bool:
    row = await session.get(EventOrganiser, (event_id, member_id))
    return row is not None


async def participant(session: AsyncSession, event_id: int, member_id: int) -> Participant | None:
    return await session.get(Participant, (event_id, member_id))


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
