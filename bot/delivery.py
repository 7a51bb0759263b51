"""Delivery: claims due outbox rows and sends them through the platform that owns each recipient.

Each row is committed as 'sending' before the API call and as its outcome after it, so a crash between the
two leaves a row that start-up marks 'uncertain' instead of sending it a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import update

from bot.clock import Clock
from bot.errors import RateLimited, RecipientUnreachable, TransientDeliveryError
from bot.messages import Address, Message
from bot.port import Platform
from storage import outbox
from storage.database import Database
from storage.models import Member, MemberStatus, OutboxMessage, OutboxStatus
from storage.outbox import Claimed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    retrying: int = 0


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

    async def _send_one(self, row: Claimed) -> str:
        port = self.platforms[row.platform]
        values: dict[str, object]
        outcome: str
        try:
            kind: Literal["member", "channel"] = "channel" if row.address_kind == "channel" else "member"
            delivered = await port.send(Address(row.platform, row.address, kind), Message.from_dict(row.payload))
        except RecipientUnreachable as error:
            values, outcome = {"status": OutboxStatus.UNREACHABLE, "error": str(error)[:300]}, "unreachable"
        except RateLimited as error:
            wait = timedelta(seconds=error.retry_after)
            values = {
                "status": OutboxStatus.QUEUED,
                "not_before": self.clock.now() + wait,
                "attempts": row.attempts - 1,
            }
            outcome = "retrying"
        except TransientDeliveryError as error:
            if row.attempts >= MAX_ATTEMPTS:
                values, outcome = {"status": OutboxStatus.FAILED, "error": str(error)[:300]}, "failed"
            else:
                backoff = timedelta(seconds=2**row.attempts)
                values = {"status": OutboxStatus.QUEUED, "not_before": self.clock.now() + backoff}
                outcome = "retrying"
        except Exception as error:
            log.exception("send failed", extra={"outbox_id": row.id})
            values, outcome = {"status": OutboxStatus.FAILED, "error": str(error)[:300]}, "failed"
        else:
            values = {
                "status": OutboxStatus.SENT,
                "sent_at": self.clock.now(),
                "platform_message_id": delivered.message_id,
            }
            outcome = "sent"
        async with self.database.transaction() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
            if outcome == "unreachable" and row.member_id is not None:
                await session.execute(
                    update(Member).where(Member.id == row.member_id).values(status=MemberStatus.UNREACHABLE)
                )
        return outcome
