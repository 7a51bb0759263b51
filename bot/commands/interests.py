"""The interest poll: a multi-select keyboard, updated in place, with a Done button.

Each option button carries the state it sets (select or clear), not a toggle, so pressing the same button
twice (a double tap, a stale message, a retried delivery) leaves the same answer.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.errors import UserError
from bot.messages import Button, Message, MessageBuilder, bold, italic
from storage import events as event_queries
from storage.models import Event, InterestOption, MemberInterest

SELECT, CLEAR = "1", "0"


async def interests(ctx: Context, args: str) -> None:
    event = await ctx.current_event()
    ctx.reply(await _keyboard(ctx, event))


async def open_poll(ctx: Context, value: str) -> None:
    """The "Choose my interests" button on a welcome or reminder message."""
    event = await _event_of(ctx, value)
    ctx.reply(await _keyboard(ctx, event))


async def choose(ctx: Context, value: str) -> None:
    option_id_text, _, state = value.partition(".")
    member = ctx.require_member()
    option = await ctx.session.get(InterestOption, int(option_id_text)) if option_id_text.isdigit() else None
    if option is None or state not in (SELECT, CLEAR):
        raise UserError("That option is no longer in the poll. Send /interests for the current one.")
    event = await _event_of(ctx, str(option.event_id))
    existing = await ctx.session.get(MemberInterest, (member.id, option.id))
    if state == SELECT and existing is None:
        ctx.session.add(MemberInterest(member_id=member.id, option_id=option.id))
    elif state == CLEAR and existing is not None:
        await ctx.session.delete(existing)
    await ctx.session.flush()
    ctx.edit(await _keyboard(ctx, event))


async def done(ctx: Context, value: str) -> None:
    member = ctx.require_member()
    event = await _event_of(ctx, value)
    participant = await event_queries.participant(ctx.session, event.id, member.id)
    assert participant is not None
    chosen = await labels_of(ctx, member.id, event.id)
    if not chosen:
        raise UserError("Pick at least one interest first, then press Done.")
    if participant.answered_at is None:
        participant.answered_at = ctx.clock.now()
    builder = MessageBuilder().line("✅ Saved: ", bold(", ".join(chosen)), ".")
    builder.line("I'll use these to introduce you. Change them any time with /interests.")
    ctx.edit(builder.build())


async def _event_of(ctx: Context, value: str) -> Event:
    member = ctx.require_member()
    event = await ctx.session.get(Event, int(value)) if value.isdigit() else None
    if event is None:
        raise UserError("That event no longer exists.")
    participant = await event_queries.participant(ctx.session, event.id, member.id)
    if participant is None or participant.left_at is not None:
        raise UserError(f"You're not in {event.name} any more. Join it again with /join {event.join_code}.")
    return event


async def _keyboard(ctx: Context, event: Event) -> Message:
    assert ctx.member is not None
    options = await event_queries.options(ctx.session, event.id)
    if not options:
        raise UserError(f"The organisers of {event.name} haven't set up the interest poll yet.")
    chosen = await event_queries.chosen_option_ids(ctx.session, event.id, ctx.member.id)
    builder = MessageBuilder().line("What are you into? Pick as many as you like for ", bold(event.name), ".")
    builder.line(italic(f"{len(chosen)} selected. Press Done when you're finished."))
    row: list[Button] = []
    for option in options:
        selected = option.id in chosen
        label = f"✅ {option.label}" if selected else option.label
        row.append(Button(label, "pick", f"{option.id}.{CLEAR if selected else SELECT}"))
        if len(row) == 2:
            builder.buttons(*row)
            row = []
    builder.buttons(*row)
    builder.buttons(Button("Done", "picked", str(event.id)))
    return builder.build()


async def labels_of(ctx: Context, member_id: int, event_id: int) -> list[str]:
    query = (
        select(InterestOption.label)
        .join(MemberInterest, MemberInterest.option_id == InterestOption.id)
        .where(MemberInterest.member_id == member_id, InterestOption.event_id == event_id)
        .order_by(InterestOption.position)
    )
    return list((await ctx.session.scalars(query)).all())
