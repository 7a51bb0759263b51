"""Queries of introductions: a group locked while its answers are taken; who is due a follow-up, and who stopped
answering them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Intro, IntroGroup, Member, Round


async def locked_group(session: AsyncSession, group_id: int) -> IntroGroup | None:
    """The group, locked until the transaction ends, so a group's answers are taken one at a time (``FOR
    UPDATE`` on PostgreSQL; on SQLite the one writer already does it, and SQLAlchemy leaves the clause out)."""
    return await session.get(IntroGroup, group_id, with_for_update=True)


async def not_followed_up(session: AsyncSession, event_id: int, states: Sequence[str]) -> list[tuple[Intro, Member]]:
    """The event's intros in ``states`` not yet followed up, with their members, in the order they were made."""
    query = (
        select(Intro, Member)
        .join(Round, Round.id == Intro.round_id)
        .join(Member, Member.id == Intro.member_id)
        .where(Round.event_id == event_id, Intro.state.in_(states), Intro.followup_sent_at.is_(None))
        .order_by(Intro.id)
    )
    return [(intro, member) for intro, member in (await session.execute(query)).all()]


async def of_group(session: AsyncSession, group_id: int) -> dict[int, Intro]:
    """The group's intros, by member id."""
    rows = (await session.scalars(select(Intro).where(Intro.group_id == group_id))).all()
    return {intro.member_id: intro for intro in rows}


async def met_answers(session: AsyncSession, event_id: int) -> list[tuple[int, str | None]]:
    """Each of the event's intros as (member id, their "did you meet?" answer or None)."""
    query = select(Intro.member_id, Intro.met).join(Round, Round.id == Intro.round_id).where(Round.event_id == event_id)
    return [(member_id, met) for member_id, met in (await session.execute(query)).all()]


async def silent_members(
    session: AsyncSession, event_id: int, states: Sequence[str], before: datetime, rounds: int
) -> set[int]:
    """Members with an intro of the event in ``states`` not yet followed up, whose last ``rounds`` follow-ups
    sent before ``before`` (in any event) all went unanswered. One statement, however many members."""
    waiting = (
        select(Intro.member_id)
        .join(Round, Round.id == Intro.round_id)
        .where(Round.event_id == event_id, Intro.state.in_(states), Intro.followup_sent_at.is_(None))
    )
    recent = (
        select(
            Intro.member_id,
            Intro.met,
            func.row_number().over(partition_by=Intro.member_id, order_by=Intro.id.desc()).label("back"),
        )
        .where(Intro.member_id.in_(waiting), Intro.followup_sent_at < before)
        .subquery()
    )
    rows = await session.execute(select(recent.c.member_id, recent.c.met).where(recent.c.back <= rounds))
    answers: dict[int, list[str | None]] = {}
    for member_id, met in rows.all():
        answers.setdefault(member_id, []).append(met)
    return {member for member, mets in answers.items() if len(mets) == rounds and all(m is None for m in mets)}
