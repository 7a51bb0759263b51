"""An organiser's message to everyone in the event, queued in the outbox in the same transaction."""

from __future__ import annotations

from bot import parsing
from bot.context import Context
from bot.errors import UserError
from bot.messages import MessageBuilder, bold, italic
from bot.views import plural
from storage import events as event_queries
from storage.outbox import NewMessage, enqueue


async def broadcast(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    body = args.strip()
    if not body:
        raise UserError("Write the message after the command, e.g. /broadcast Doors open at 18:00, see you there!")
    if len(body) > parsing.BROADCAST_LIMIT:
        raise UserError(f"Broadcasts can be at most {parsing.BROADCAST_LIMIT} characters; yours has {len(body)}.")
    sender = ctx.require_member()
    recipients = [m for m in await event_queries.active_participants(ctx.session, event.id) if m.id != sender.id]
    message = MessageBuilder().line("📣 ", bold(event.name), italic(f" — from {sender.display_name}"))
    for line in body.splitlines():
        message.line(line)
    payload = message.build().to_dict()
    broadcast_id = f"{int(ctx.clock.now().timestamp())}{ctx.rng.randrange(16**6):06x}"
    messages = []
    if event.channel_platform is not None and event.channel_id is not None:
        # The linked chat reaches everyone on its platform; members elsewhere get a direct message.
        messages.append(
            NewMessage(
                key=f"broadcast:{event.id}:{broadcast_id}:channel",
                platform=event.channel_platform,
                address=event.channel_id,
                address_kind="channel",
                payload=payload,
                event_id=event.id,
            )
        )
        recipients = [m for m in recipients if m.platform != event.channel_platform]
    messages += [
        NewMessage(
            key=f"broadcast:{event.id}:{broadcast_id}:{member.id}",
            platform=member.platform,
            address=member.platform_user_id,
            payload=payload,
            member_id=member.id,
            event_id=event.id,
        )
        for member in recipients
    ]
    queued = await enqueue(ctx.session, messages, ctx.clock.now())
    ctx.queued += queued
    if event.channel_id is not None:
        where = f"the linked chat and {plural(len(recipients), 'member')} elsewhere"
        ctx.reply(MessageBuilder().line("📣 Posting to ", where, " for ", bold(event.name), ".").build())
        return
    if not queued:
        ctx.reply(
            MessageBuilder()
            .line("Nobody to send to yet: no active members have joined ", bold(event.name), ".")
            .build()
        )
        return
    ctx.reply(MessageBuilder().line(f"📣 Sending to {plural(queued, 'member')} of ", bold(event.name), ".").build())
