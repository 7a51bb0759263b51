"""Broadcasts: an organiser's message to an audience of the event, now or at a set time.

The recipients' messages and the organiser's progress message are queued in the outbox in one transaction;
delivery edits the progress message in place ("sent 340 of 500") and ends with a report.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import parsing
from bot.campaign.audience import members_of, parse_audience
from bot.campaign.timing import at_local
from bot.context import Context
from bot.errors import UserError
from bot.messages import Message, MessageBuilder, bold, italic
from bot.views import plural
from storage.models import Broadcast, CampaignStep, Event, Member, StepStatus
from storage.outbox import NewMessage, enqueue

USAGE = (
    "Write the message after the command, e.g. /broadcast Doors open at 18:00! Optionally first "
    "“to AUDIENCE” (all, answered, unanswered, rsvp-yes, rsvp-no, rsvp-unknown, interest:NAME) "
    "and “at YYYY-MM-DD HH:MM” (event time)."
)
# "to" and "at" are options only when what follows is an audience or a date: "To everyone: hi" is just text.
OPTIONS = re.compile(
    r"^(?:to\s+(?P<audience>all|answered|unanswered|rsvp-\S+|interest:(?:\"[^\"]+\"|\S+))\s+)?"
    r"(?:at\s+(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<time>\d{1,2}:\d{2})\s+)?(?P<text>.*)$",
    re.S | re.I,
)


async def broadcast(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    match = OPTIONS.match(args.strip())
    body = (match.group("text") if match else "").strip()
    if not match or not body:
        raise UserError(USAGE)
    if len(body) > parsing.BROADCAST_LIMIT:
        raise UserError(f"Broadcasts can be at most {parsing.BROADCAST_LIMIT} characters; yours has {len(body)}.")
    audience = parse_audience(match.group("audience") or "all")
    organiser = ctx.require_member()
    now = ctx.clock.now()
    row = Broadcast(event_id=event.id, organiser_id=organiser.id, audience=audience, text=body, created_at=now)
    ctx.session.add(row)
    await ctx.session.flush()
    if match.group("date"):
        day = parsing.event_date(match.group("date"))
        at = parsing.event_time(match.group("time").zfill(5))
        when = at_local(day, at.strftime("%H:%M"), event.time_zone)
        if when <= now:
            raise UserError("That time has already passed. Pick a later one, in the event's time zone.")
        ctx.session.add(
            CampaignStep(
                event_id=event.id,
                key=f"broadcast:{row.id}",
                kind="broadcast",
                due_at=when,
                status=StepStatus.PENDING,
                enabled=True,
                payload={"broadcast_id": row.id},
            )
        )
        await members_of(ctx.session, event, audience)  # an unknown interest is refused now, not at send time
        builder = MessageBuilder().line(
            "📅 Broadcast to ",
            bold(audience),
            f" scheduled for {when.astimezone(when.tzinfo):%a %d %b %H:%M} ({event.time_zone}).",
        )
        builder.line("See it with /schedule.")
        ctx.reply(builder.build())
        return
    queued = await queue_broadcast(ctx.session, event, row.id, now)
    ctx.queued += queued
    if not row.total:
        ctx.reply(
            MessageBuilder()
            .line("Nobody to send to yet: no active members of ", bold(event.name), f" match “{audience}”.")
            .build()
        )


async def queue_broadcast(session: AsyncSession, event: Event, broadcast_id: int, now: datetime) -> int:
    """Queue the broadcast's messages and the organiser's progress message; returns how many were queued."""
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    recipients = list(await members_of(session, event, row.audience))
    organiser = await session.get(Member, row.organiser_id) if row.organiser_id else None
    if organiser is not None:
        recipients = [m for m in recipients if m.id != organiser.id]
    payload = _message(event, row, organiser).to_dict()
    messages = []
    if row.audience == "all" and event.channel_platform is not None and event.channel_id is not None:
        # The linked chat reaches everyone on its platform; members elsewhere get a direct message.
        messages.append(
            NewMessage(
                f"broadcast:{row.id}:channel",
                event.channel_platform,
                event.channel_id,
                payload,
                None,
                event.id,
                "channel",
                broadcast_id=row.id,
            )
        )
        recipients = [m for m in recipients if m.platform != event.channel_platform]
    messages += [
        NewMessage(
            f"broadcast:{row.id}:{m.id}", m.platform, m.platform_user_id, payload, m.id, event.id, broadcast_id=row.id
        )
        for m in recipients
    ]
    row.total = len(messages)
    if organiser is not None and messages:
        where = (
            f"{plural(len(messages), 'recipient')}"
            if len(messages) == len(recipients)
            else (f"the linked chat and {plural(len(recipients), 'member')} elsewhere")
        )
        progress = progress_message(event, 0, row.total, where)
        messages.insert(
            0,
            NewMessage(
                f"broadcast:{row.id}:progress",
                organiser.platform,
                organiser.platform_user_id,
                progress.to_dict(),
                organiser.id,
                event.id,
                broadcast_id=row.id,  # sending it also triggers an update (the recipients may be done first)
            ),
        )
    return await enqueue(session, messages, now)


def _message(event: Event, row: Broadcast, organiser: Member | None) -> Message:
    sender = f" — from {organiser.display_name}" if organiser else ""
    builder = MessageBuilder().line("📣 ", bold(event.name), italic(sender))
    for line in row.text.splitlines():
        builder.line(line)
    return builder.build()


def progress_message(event: Event, sent: int, total: int, where: str = "") -> Message:
    builder = MessageBuilder().line("📣 Broadcast for ", bold(event.name), f" to {where}" if where else "")
    builder.line(f"Sending: {sent} of {total}…")
    return builder.build()


def report_message(event: Event, delivered: int, unreachable: int, failed: int, uncertain: int) -> Message:
    builder = MessageBuilder().line("📣 Broadcast for ", bold(event.name), " finished.")
    builder.line(f"Delivered: {delivered}  ·  unreachable: {unreachable}  ·  failed: {failed}")
    if uncertain:
        noun = "message" if uncertain == 1 else "messages"
        builder.line(italic(f"{uncertain} {noun} may not have arrived (a timeout or a restart while sending)."))
    return builder.build()
