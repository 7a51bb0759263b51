"""Keeps a broadcast's progress message current ("Sending: 340 of 500…") and ends it with a report."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select

from bot.errors import DeliveryError
from bot.intros import delivery_report
from bot.port import Delivered, Platform
from bot.services.broadcasts import progress_message, recipients_words, report_message
from storage import broadcasts
from storage.database import Database
from storage.models import Event, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
FINAL = {OutboxStatus.SENT, OutboxStatus.UNREACHABLE, OutboxStatus.FAILED, OutboxStatus.UNCERTAIN}


async def update_progress(
    database: Database, platforms: Mapping[str, Platform], broadcast_id: int, now: datetime
) -> None:
    async with database.transaction() as session:
        broadcast = await broadcasts.locked(session, broadcast_id)
        if broadcast is None or broadcast.report_sent:
            return
        event = await session.get(Event, broadcast.event_id)
        progress = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == f"broadcast:{broadcast.id}:progress")
        )
        if event is None or progress is None or progress.platform_message_id is None:
            return  # not shown to the organiser yet: its own delivery triggers the next update
        counts = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.id != progress.id)
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
        port = platforms.get(progress.platform)
        if port is None:
            return
        done = sum(count for status, count in counts.items() if status in FINAL)
        finished = done >= broadcast.total
        outcome = [counts.get(s, 0) for s in (OutboxStatus.UNREACHABLE, OutboxStatus.FAILED, OutboxStatus.UNCERTAIN)]
        sent = counts.get(OutboxStatus.SENT, 0)
        if delivery_report.is_round(broadcast.audience):  # a round's deliveries, reported the same way
            number = delivery_report.round_number(broadcast.audience)
            if finished:
                message = delivery_report.report_message(event, number, sent, *outcome)
            else:
                message = delivery_report.progress_message(event, number, sent, broadcast.total)
        elif finished:
            message = report_message(event, sent, *outcome)
        else:
            mine = (OutboxMessage.broadcast_id == broadcast.id) & (OutboxMessage.id != progress.id)
            linked_chat = await session.scalar(
                select(func.count()).where(mine, OutboxMessage.address_kind == "channel")
            )
            waiting = await session.scalar(
                select(func.count()).where(
                    mine, OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.not_before > now
                )
            )
            where = recipients_words(broadcast.total, bool(linked_chat))
            message = progress_message(event, sent, broadcast.total, where, waiting or 0)
        if finished:
            broadcast.report_sent = True
        target = Delivered(
            progress.platform, progress.platform_chat_id or progress.address, progress.platform_message_id
        )
    try:
        await port.edit(target, message)
    except DeliveryError as error:
        log.warning(
            "could not update a broadcast's progress", extra={"broadcast_id": broadcast_id, "error": str(error)}
        )
