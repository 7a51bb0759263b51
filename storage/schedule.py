"""Queries of the campaign schedule: claiming the next due step."""

from __future__ import annotations

from datetime import datetime

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


async def claim_next_due_step(session: AsyncSession, now: datetime) -> CampaignStep | None:
    """The earliest due, enabled, pending step, locked for this transaction."""
    return await session.scalar(_NEXT_DUE.where(CampaignStep.due_at <= now))
