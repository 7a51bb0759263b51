"""What a member may expect of the introductions, as it stands now: a round already sent, the campaign's step
still waiting, a community's next round. Said wherever a member is told about the introductions (joining,
choosing interests, the welcome), so no text announces intros that already went out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import rounds as round_queries
from storage.models import CampaignStep, Event, StepStatus


async def intros_outlook(session: AsyncSession, event: Event, now: datetime) -> str:
    zone = ZoneInfo(event.time_zone)
    if event.recurrence is not None:
        step = await _next_step(session, event, "community_round", now)
        if step is None:
            return "Introductions come in rounds; I'll message you when yours is ready."
        return f"Introductions come in rounds: the next one is on {step.due_at.astimezone(zone):%a %d %b}."
    last = await round_queries.latest(session, event.id)
    if last is not None and await round_queries.introduced_anyone(session, event.id):
        return (
            f"The introductions already went out on {last.created_at.astimezone(zone):%a %d %b}. "
            "If the organisers send another round, you'll be in it."
        )
    step = await _next_step(session, event, "intros", now)
    if step is None:
        return "The organisers will send the introductions; I'll message you then."
    return f"Introductions go out on {step.due_at.astimezone(zone):%a %d %b}."


async def _next_step(session: AsyncSession, event: Event, kind: str, now: datetime) -> CampaignStep | None:
    query = select(CampaignStep).where(
        CampaignStep.event_id == event.id,
        CampaignStep.kind == kind,
        CampaignStep.enabled.is_(True),
        CampaignStep.status == StepStatus.PENDING,
        CampaignStep.due_at > now,
    )
    return await session.scalar(query.order_by(CampaignStep.due_at).limit(1))
