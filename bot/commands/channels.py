"""Linking an event to a group chat or channel, where shared prompts and broadcasts can go."""

from __future__ import annotations

from bot import parsing
from bot.context import Context
from bot.errors import UserError
from bot.messages import MessageBuilder, bold
from storage import events as event_queries
from storage.models import Event


async def link(ctx: Context, args: str) -> None:
    chat = ctx.chat
    if chat is None or chat.kind != "group":
        raise UserError("Send /link inside the group or channel you want to link, after adding me to it.")
    event = await _event_to_link(ctx, args)
    event.channel_platform, event.channel_id = ctx.sender.platform, chat.id
    builder = MessageBuilder().line("Linked: this chat is now the home of ", bold(event.name), ".")
    builder.line("Broadcasts for the event will be posted here. /unlink undoes it.")
    ctx.reply(builder.build())


async def unlink(ctx: Context, args: str) -> None:
    event = await _event_to_link(ctx, args)
    if event.channel_id is None:
        raise UserError(f"{event.name} has no linked chat.")
    event.channel_platform = event.channel_id = None
    ctx.reply(MessageBuilder().line(bold(event.name), " is no longer linked to a chat.").build())


async def _event_to_link(ctx: Context, args: str) -> Event:
    if not args.strip():
        return await ctx.organised_event()
    code = parsing.join_code(args)
    event = await event_queries.by_code(ctx.session, code)
    member = ctx.require_member()
    if event is None or not await event_queries.is_organiser(ctx.session, event.id, member.id):
        raise UserError(f"You don't organise an event with the code {code}.")
    return event
