"""A round's deliveries, shown to the organiser as a broadcast's are: "Sending: 30 of 120…", then the count.

The round's messages (introductions, proposals, left-out notes) carry a broadcast row of their own (audience
``round:N``), so ``bot.broadcast_progress`` keeps the organiser's progress message current as the outbox sends
them, from whichever replica, and ends it with the final count: sent, unreachable, failed, uncertain.
"""

from __future__ import annotations

from datetime import datetime

from bot.campaign.timing import outside_quiet_hours
from bot.messages import Message, MessageBuilder, bold, italic
from bot.views import plural
from storage import events as event_queries
from storage.models import Broadcast, Event, Member
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession

PREFIX = "round:"


def is_round(audience: str) -> bool:
    return audience.startswith(PREFIX)


def round_number(audience: str) -> str:
    return audience.removeprefix(PREFIX)


async def start(session: AsyncSession, event: Event, number: int, now: datetime) -> int | None:
    """The round's report row, addressed to the event's first organiser; None when it has none."""
    organisers = await event_queries.organisers(session, event.id)
    if not organisers:
        return None
    row = Broadcast(
        event_id=event.id, organiser_id=organisers[0].id, audience=f"{PREFIX}{number}", text="", created_at=now
    )
    session.add(row)
    await session.flush()
    return row.id


async def finish(session: AsyncSession, event: Event, report_id: int, number: int, total: int, now: datetime) -> int:
    """Now that the round's messages are all queued: their number, and the organiser's progress message."""
    row = await session.get(Broadcast, report_id)
    organiser = await session.get(Member, row.organiser_id) if row and row.organiser_id else None
    if row is None or organiser is None:
        return 0
    row.total += total
    if row.total == 0:
        row.report_sent = True
        return 0
    progress = NewMessage(
        f"broadcast:{row.id}:progress",
        organiser.platform,
        organiser.platform_user_id,
        progress_message(event, number, 0, row.total).to_dict(),
        organiser.id,
        event.id,
        not_before=outside_quiet_hours(now, organiser.time_zone or event.time_zone),  # never in their night
        broadcast_id=row.id,
    )
    return await enqueue(session, [progress], now)


def progress_message(event: Event, number: int | str, sent: int, total: int) -> Message:
    builder = MessageBuilder().line(f"🤝 Round {number} of ", bold(event.name), ": delivering")
    builder.line(f"Sent: {sent} of {plural(total, 'message')}…")
    return builder.build()


def report_message(
    event: Event, number: int | str, sent: int, unreachable: int, failed: int, uncertain: int
) -> Message:
    builder = MessageBuilder().line(f"🤝 Round {number} of ", bold(event.name), ": all messages delivered or settled.")
    builder.line(f"Sent: {sent}  ·  unreachable: {unreachable}  ·  failed: {failed}  ·  uncertain: {uncertain}")
    if uncertain:
        noun = "message" if uncertain == 1 else "messages"
        builder.line(italic(f"{uncertain} {noun} may not have arrived (a timeout or a restart while sending)."))
    return builder.build()
