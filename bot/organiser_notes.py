"""A note to an event's organisers that something needs them (a failed step, an unreachable channel)."""

from __future__ import annotations

from datetime import datetime

from bot.messages import Message
from storage import events as event_queries
from storage import outbox
from storage.models import Event
from storage.outbox import NewMessage
from storage.session import AsyncSession


async def tell_organisers(session: AsyncSession, event: Event, key: str, message: Message, now: datetime) -> int:
    """Queue ``message`` to each organiser of ``event`` once per ``key`` (a retry queues nothing new)."""
    payload = message.to_dict()
    notes = [
        NewMessage(f"{key}:{m.id}", m.platform, m.platform_user_id, payload, m.id, event.id)
        for m in await event_queries.organisers(session, event.id)
    ]
    return await outbox.enqueue(session, notes, now)
