"""What a platform's answer means for an outbox row, and what else it changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import (
    ChannelUnavailable,
    ChatMoved,
    DeliveryUncertain,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import MessageBuilder, bold
from bot.organiser_notes import tell_organisers
from storage.models import Event, Member, MemberStatus, OutboxStatus
from storage.outbox import Claimed

MAX_ATTEMPTS = 5
Outcome = Literal["sent", "unreachable", "failed", "uncertain", "retrying", "deferred"]


@dataclass(slots=True)
class Result:
    outcome: Outcome
    values: dict[str, Any] = field(default_factory=dict)
    expected: bool = True
    bot_not_in_channel: bool = False


def classify(row: Claimed, error: Exception, now: datetime) -> Result:
    if isinstance(error, RecipientUnreachable):
        return Result("unreachable", {"status": OutboxStatus.UNREACHABLE, "error": str(error)[:300]})
    if isinstance(error, DeliveryUncertain):  # never a silent re-send: it may well have arrived
        return Result("uncertain", {"status": OutboxStatus.UNCERTAIN, "error": str(error)[:300]})
    if isinstance(error, RateLimited):
        wait = timedelta(seconds=error.retry_after)
        return Result(
            "retrying", {"status": OutboxStatus.QUEUED, "not_before": now + wait, "attempts": row.attempts - 1}
        )
    if isinstance(error, ChatMoved):
        return Result(
            "retrying", {"status": OutboxStatus.QUEUED, "address": error.new_chat_id, "attempts": row.attempts - 1}
        )
    if isinstance(error, TransientDeliveryError) and row.attempts < MAX_ATTEMPTS:
        # Exponential backoff with jitter derived from the row id: spreads retries without a random source.
        backoff = timedelta(seconds=2**row.attempts + (row.id % 7) / 7)
        return Result("retrying", {"status": OutboxStatus.QUEUED, "not_before": now + backoff})
    expected = isinstance(error, TransientDeliveryError | PermanentDeliveryError | ChannelUnavailable)
    failed = {"status": OutboxStatus.FAILED, "error": f"{type(error).__name__}: {error}"[:300]}
    return Result("failed", failed, expected, isinstance(error, ChannelUnavailable))


async def apply_consequences(session: AsyncSession, row: Claimed, result: Result, now: datetime) -> None:
    """Beyond the row: unreachable members, moved chats, organisers to tell about a channel."""
    if result.outcome == "unreachable" and row.member_id is not None:
        await session.execute(update(Member).where(Member.id == row.member_id).values(status=MemberStatus.UNREACHABLE))
    new_address = result.values.get("address")
    if new_address is not None:
        await session.execute(
            update(Event)
            .where(Event.channel_platform == row.platform, Event.channel_id == row.address)
            .values(channel_id=new_address)
        )
    if result.bot_not_in_channel and row.event_id is not None:
        event = await session.get(Event, row.event_id)
        if event is None:
            return
        note = MessageBuilder().line("⚠️ I couldn't post to the chat linked to ", bold(event.name), ".")
        note.line("Invite me to that channel (or /unlink it), then send the broadcast again.")
        await tell_organisers(session, event, f"channel-unavailable:{row.id}", note.build(), now)
