"""Queries of the campaign schedule: an event's steps, and claiming the next due step."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CampaignStep, StepStatus

_NEXT_DUE = (
    select(CampaignStep)
    .where(CampaignStep.status == StepStatus.PENDING, CampaignStep.enabled.is_(True))
    .order_by(CampaignStep.due_at, CampaignStep.id)
    .limit(1)
    # Several replicas on PostgreSQL each take a different due step; SQLite (one process, one writer) has no
    # row locks and SQLAlchemy leaves the clause out.
    .with_for_update(skip_locked=True)
)


async def claim_next_due_step(
    session: AsyncSession, now: datetime, early_kinds: Collection[str] = (), lead: timedelta = timedelta(0)
) -> CampaignStep | None:
    """The earliest due, enabled, pending step, locked for this transaction. A step of ``early_kinds`` at a
    local hour (not minutes before the start) is due ``lead`` before its time."""
    due = CampaignStep.due_at <= now
    if early_kinds and lead:
        early = CampaignStep.kind.in_(list(early_kinds)) & CampaignStep.minutes_before.is_(None)
        due = due | (early & (CampaignStep.due_at <= now + lead))
    return await session.scalar(_NEXT_DUE.where(due))


async def steps_of(session: AsyncSession, event_id: int) -> list[CampaignStep]:
    """The event's steps, earliest due first."""
    query = select(CampaignStep).where(CampaignStep.event_id == event_id).order_by(CampaignStep.due_at)
    return list((await session.scalars(query)).all())


async def steps_of_kind(session: AsyncSession, event_id: int, kind: str) -> Sequence[CampaignStep]:
    query = select(CampaignStep).where(CampaignStep.event_id == event_id, CampaignStep.kind == kind)
    return (await session.scalars(query)).all()
