"""Delivery: claims due outbox rows and sends them through the platform that owns each recipient.

Each row is committed as 'sending' before the API call and as its outcome after it, so a crash between the
two leaves a row that start-up marks 'uncertain' instead of sending it a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import (
    ChannelUnavailable,
    ChatMoved,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Address, Message, MessageBuilder, bold
from bot.port import Platform
from storage import events as event_queries
from storage import outbox
from storage.database import Database
from storage.models import Event, Member, MemberStatus, OutboxMessage, OutboxStatus
from storage.outbox import Claimed, NewMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Outcome = Literal["sent", "unreachable", "failed", "retrying"]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    retrying: int = 0


@dataclass(slots=True)
class _Result:
    outcome: Outcome
    values: dict[str, Any] = field(default_factory=dict)
    bot_not_in_channel: bool = False


class Delivery:
    def __init__(self, database: Database, platforms: Mapping[str, Platform], clock: Clock) -> None:
        self.database = database
        self.platforms = platforms
        self.clock = clock

    async def recover(self) -> int:
        """On start-up: rows a dead process left mid-send become 'uncertain' (reported, never re-sent)."""
        async with self.database.transaction() as session:
            return await outbox.mark_uncertain(session)

    async def run_once(self, batch: int = 100) -> DeliveryReport:
        """Send every row that is due now; returns what happened."""
        totals = {"sent": 0, "unreachable": 0, "failed": 0, "retrying": 0}
        while True:
            async with self.database.transaction() as session:
                rows = await outbox.claim_due(session, self.clock.now(), batch, self.platforms.keys())
            if not rows:
                return DeliveryReport(**totals)
            for row in rows:
                totals[await self._send_one(row)] += 1

    async def _send_one(self, row: Claimed) -> Outcome:
        kind: Literal["member", "channel", "group"] = (
            "channel" if row.address_kind == "channel" else "group" if row.address_kind == "group" else "member"
        )
        try:
            delivered = await self.platforms[row.platform].send(
                Address(row.platform, row.address, kind), Message.from_dict(row.payload)
            )
        except Exception as error:
            result = self._classify(row, error)
        else:
            sent = {
                "status": OutboxStatus.SENT,
                "sent_at": self.clock.now(),
                "platform_message_id": delivered.message_id,
            }
            result = _Result("sent", sent)
        async with self.database.transaction() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**result.values))
            await self._consequences(session, row, result)
        return result.outcome

    def _classify(self, row: Claimed, error: Exception) -> _Result:
        now = self.clock.now()
        if isinstance(error, RecipientUnreachable):
            return _Result("unreachable", {"status": OutboxStatus.UNREACHABLE, "error": str(error)[:300]})
        if isinstance(error, RateLimited):
            wait = timedelta(seconds=error.retry_after)
            return _Result(
                "retrying", {"status": OutboxStatus.QUEUED, "not_before": now + wait, "attempts": row.attempts - 1}
            )
        if isinstance(error, ChatMoved):
            values = {"status": OutboxStatus.QUEUED, "address": error.new_chat_id, "attempts": row.attempts - 1}
            return _Result("retrying", values)
        if isinstance(error, TransientDeliveryError) and row.attempts < MAX_ATTEMPTS:
            backoff = timedelta(seconds=2**row.attempts)
            return _Result("retrying", {"status": OutboxStatus.QUEUED, "not_before": now + backoff})
        if not isinstance(error, TransientDeliveryError | PermanentDeliveryError | ChannelUnavailable):
            log.exception("send failed unexpectedly", extra={"outbox_id": row.id})
        failed = {"status": OutboxStatus.FAILED, "error": f"{type(error).__name__}: {error}"[:300]}
        return _Result("failed", failed, bot_not_in_channel=isinstance(error, ChannelUnavailable))

    async def _consequences(self, session: AsyncSession, row: Claimed, result: _Result) -> None:
        """What an outcome changes beyond the row: unreachable members, moved chats, organisers to tell."""
        if result.outcome == "unreachable" and row.member_id is not None:
            await session.execute(
                update(Member).where(Member.id == row.member_id).values(status=MemberStatus.UNREACHABLE)
            )
        new_address = result.values.get("address")
        if new_address is not None:
            await session.execute(
                update(Event)
                .where(Event.channel_platform == row.platform, Event.channel_id == row.address)
                .values(channel_id=new_address)
            )
        if result.bot_not_in_channel and row.event_id is not None:
            await self._tell_organisers_to_invite(session, row)

    async def _tell_organisers_to_invite(self, session: AsyncSession, row: Claimed) -> None:
        event = await session.get(Event, row.event_id)
        if event is None:
            return
        note = MessageBuilder().line("⚠️ I couldn't post to the chat linked to ", bold(event.name), ".")
        note.line("Invite me to that channel (or /unlink it), then send the broadcast again.")
        payload = note.build().to_dict()
        organisers = await event_queries.organisers(session, event.id)
        notes = [
            NewMessage(f"channel-unavailable:{row.id}:{m.id}", m.platform, m.platform_user_id, payload, m.id, event.id)
            for m in organisers
        ]
        await outbox.enqueue(session, notes, self.clock.now())
