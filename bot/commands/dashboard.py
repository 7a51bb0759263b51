"""``/dashboard``: an organiser's one-time sign-in link to the web dashboard, in a private chat only."""

from __future__ import annotations

from bot.context import Context
from bot.errors import UserError
from bot.messages import MessageBuilder, bold, italic
from storage import events as event_queries

NOT_SERVED = (
    "The dashboard isn't served by this process. `icebreaker run` serves it (set ICEBREAKER_PUBLIC_URL to the "
    "address people open); `icebreaker shell` serves it on ICEBREAKER_HTTP_PORT when that port is free."
)


async def dashboard(ctx: Context, args: str) -> None:
    if ctx.chat is not None and ctx.chat.kind == "group":
        raise UserError(
            "Send /dashboard to me in a private chat: a sign-in link must not be posted where others see it."
        )
    member = ctx.require_member()
    events = await event_queries.organised_by(ctx.session, member.id)
    if not events:
        raise UserError(
            "The dashboard is for organisers, and you don't organise an event yet. Create one with /newevent."
        )
    if ctx.links is None:
        raise UserError(NOT_SERVED)
    link = await ctx.links.issue(ctx.session, member, ctx.clock.now())
    builder = MessageBuilder().line(
        bold("Your dashboard"), f" for {len(events)} event{'s' if len(events) != 1 else ''}:"
    )
    builder.line(link)
    builder.line(italic("The link works once, for you only, within 15 minutes. Don't forward it."))
    ctx.reply(builder.build())
