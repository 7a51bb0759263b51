"""The interest poll: a multi-select keyboard, updated in place, with a Done button.

Each option button carries the state it sets (select or clear), not a toggle, so pressing the same button
twice (a double tap, a stale message, a retried delivery) leaves the same answer.
"""

from __future__ import annotations

from bot.context import Context
from bot.errors import UserError
from bot.intros.outlook import intros_outlook
from bot.messages import Button, Message, MessageBuilder, bold, italic
from bot.parsing import small_int
from storage import events as event_queries
from storage import interests as poll
from storage.models import Event

SELECT, CLEAR = "1", "0"
NO_OPTION = "That option is no longer in the poll. Send /interests for the current one."


async def interests(ctx: Context, args: str) -> None:
    event = await ctx.current_event()
    ctx.reply(await _keyboard(ctx, event.id, event.name))


async def open_poll(ctx: Context, value: str) -> None:
    """The "Choose my interests" button on a welcome or reminder message."""
    event = await _event_of(ctx, value)
    ctx.reply(await _keyboard(ctx, event.id, event.name))


async def choose(ctx: Context, value: str) -> None:
    """The hottest inbound path: three statements built in advance, no ORM loads."""
    option_id_text, _, state = value.partition(".")
    member = ctx.require_member()
    option_id = small_int(option_id_text)
    if option_id is None or state not in (SELECT, CLEAR):
        raise UserError(NO_OPTION)
    found = await poll.option_event(ctx.session, member.id, option_id)
    if found is None:
        raise UserError(NO_OPTION)
    event_id, name, join_code, participant_id, left_at = found
    if participant_id is None or left_at is not None:
        raise UserError(f"You're not in {name} any more. Join it again with /join {join_code}.")
    if state == SELECT:
        await poll.choose(ctx.session, member.id, option_id)
    else:
        await poll.unchoose(ctx.session, member.id, option_id)
        await poll.unanswer_if_empty(ctx.session, member.id, event_id)
    ctx.edit(await _keyboard(ctx, event_id, name))


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
    builder.line(await intros_outlook(ctx.session, event, ctx.clock.now()))
    ctx.edit(builder.build())


async def _event_of(ctx: Context, value: str) -> Event:
    member = ctx.require_member()
    event_id = small_int(value)
    event = await ctx.session.get(Event, event_id) if event_id is not None else None
    if event is None:
        raise UserError("That event no longer exists.")
    participant = await event_queries.participant(ctx.session, event.id, member.id)
    if participant is None or participant.left_at is not None:
        raise UserError(f"You're not in {event.name} any more. Join it again with /join {event.join_code}.")
    return event


async def _keyboard(ctx: Context, event_id: int, event_name: str) -> Message:
    assert ctx.member is not None
    rows = await poll.options_marked(ctx.session, ctx.member.id, event_id)
    if not rows:
        raise UserError(f"The organisers of {event_name} haven't set up the interest poll yet.")
    chosen = {option_id for option_id, _, member_id in rows if member_id is not None}
    builder = MessageBuilder().line("What are you into? Pick as many as you like for ", bold(event_name), ".")
    builder.line(italic(f"{len(chosen)} selected. Press Done when you're finished."))
    row: list[Button] = []
    for option_id, option_label, _ in rows:
        selected = option_id in chosen
        label = f"✅ {option_label}" if selected else option_label
        row.append(Button(label, "pick", f"{option_id}.{CLEAR if selected else SELECT}"))
        if len(row) == 2:
            builder.buttons(*row)
            row = []
    builder.buttons(*row)
    builder.buttons(Button("Done", "picked", str(event_id)))
    return builder.build()


async def labels_of(ctx: Context, member_id: int, event_id: int) -> list[str]:
    return await poll.labels_of(ctx.session, member_id, event_id)
