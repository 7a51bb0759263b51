"""Queries of the interest poll: a member's choices, built once (the hottest inbound path)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, InterestOption, MemberInterest, Participant
from storage.upsert import insert_skipping_existing

_MEMBER, _OPTION, _EVENT = (bindparam(name, type_=Integer) for name in ("member_id", "option_id", "event_id"))
# The option's event and the member's place in it: (event id, name, join code, member id or None, left_at).
OPTION_EVENT = (
    select(Event.id, Event.name, Event.join_code, Participant.member_id, Participant.left_at)
    .join(InterestOption, InterestOption.event_id == Event.id)
    .outerjoin(Participant, (Participant.event_id == Event.id) & (Participant.member_id == _MEMBER))
    .where(InterestOption.id == _OPTION)
)
CLEAR = delete(MemberInterest).where(MemberInterest.member_id == _MEMBER, MemberInterest.option_id == _OPTION)
# Every option of the event in order, with the member's id where they chose it.
OPTIONS_MARKED = (
    select(InterestOption.id, InterestOption.label, MemberInterest.member_id)
    .outerjoin(MemberInterest, (MemberInterest.option_id == InterestOption.id) & (MemberInterest.member_id == _MEMBER))
    .where(InterestOption.event_id == _EVENT)
    .order_by(InterestOption.position)
)


async def option_event(session: AsyncSession, member_id: int, option_id: int) -> tuple[Any, ...] | None:
    row = (await session.execute(OPTION_EVENT, {"member_id": member_id, "option_id": option_id})).first()
    return tuple(row) if row is not None else None


async def choose(session: AsyncSession, member_id: int, option_id: int) -> None:
    """Record a choice; choosing twice is one row (the primary key), not an error."""
    await session.execute(
        insert_skipping_existing(session, MemberInterest), {"member_id": member_id, "option_id": option_id}
    )


async def unchoose(session: AsyncSession, member_id: int, option_id: int) -> None:
    await session.execute(CLEAR, {"member_id": member_id, "option_id": option_id})


async def choose_many(session: AsyncSession, choices: Sequence[tuple[int, int]]) -> None:
    """Many (member id, option id) choices in batched statements (imports, benchmarks)."""
    for start in range(0, len(choices), 5000):
        rows = [{"member_id": m, "option_id": o} for m, o in choices[start : start + 5000]]
        await session.execute(insert_skipping_existing(session, MemberInterest), rows)


async def options_marked(session: AsyncSession, member_id: int, event_id: int) -> Sequence[tuple[int, str, int | None]]:
    rows = (await session.execute(OPTIONS_MARKED, {"member_id": member_id, "event_id": event_id})).all()
    return [(option_id, label, chosen) for option_id, label, chosen in rows]


async def labels_of(session: AsyncSession, member_id: int, event_id: int) -> list[str]:
    query = (
        select(InterestOption.label)
        .join(MemberInterest, MemberInterest.option_id == InterestOption.id)
        .where(MemberInterest.member_id == member_id, InterestOption.event_id == event_id)
        .order_by(InterestOption.position)
    )
    return list((await session.scalars(query)).all())


async def chosen_labels(session: AsyncSession, event_id: int) -> list[tuple[int, str]]:
    """Every member's choices in the event's poll: (member id, label), options in their order."""
    query = (
        select(MemberInterest.member_id, InterestOption.label)
        .join(InterestOption, InterestOption.id == MemberInterest.option_id)
        .where(InterestOption.event_id == event_id)
        .order_by(InterestOption.position)
    )
    return [(member_id, label) for member_id, label in (await session.execute(query)).all()]


async def unanswer_if_empty(session: AsyncSession, member_id: int, event_id: int) -> None:
    """A member who cleared every choice has not answered the poll any more (``stats``, the "answered"
    audience); one statement, only on the clearing path."""
    chosen = (
        select(MemberInterest.member_id)
        .join(InterestOption, InterestOption.id == MemberInterest.option_id)
        .where(MemberInterest.member_id == member_id, InterestOption.event_id == event_id)
    )
    await session.execute(
        update(Participant)
        .where(Participant.member_id == member_id, Participant.event_id == event_id, ~chosen.exists())
        .values(answered_at=None)
    )


async def option_named(session: AsyncSession, event_id: int, label: str) -> int | None:
    """The id of the event's option called ``label`` (case aside), if there is one."""
    query = select(InterestOption.id).where(
        InterestOption.event_id == event_id, func.lower(InterestOption.label) == label.lower()
    )
    return await session.scalar(query)


async def choosers(session: AsyncSession, event_id: int, option_id: int) -> int:
    """How many members still in the event chose the option (someone who left keeps their answers on file)."""
    current = select(Participant.member_id).where(Participant.event_id == event_id, Participant.left_at.is_(None))
    query = (
        select(func.count())
        .select_from(MemberInterest)
        .where(MemberInterest.option_id == option_id, MemberInterest.member_id.in_(current))
    )
    return int(await session.scalar(query) or 0)


async def choices_of(session: AsyncSession, option_ids: Collection[int]) -> list[tuple[int, int]]:
    """Every (member id, option id) choice of these options."""
    query = select(MemberInterest.member_id, MemberInterest.option_id).where(
        MemberInterest.option_id.in_(list(option_ids))
    )
    return [(member_id, option_id) for member_id, option_id in (await session.execute(query)).all()]


async def drop_options(session: AsyncSession, option_ids: Collection[int]) -> None:
    """Delete the options and every answer that chose them."""
    ids = list(option_ids)
    await session.execute(delete(MemberInterest).where(MemberInterest.option_id.in_(ids)))
    await session.execute(delete(InterestOption).where(InterestOption.id.in_(ids)))
