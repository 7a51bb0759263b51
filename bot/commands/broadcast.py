"""Broadcasts in the chat: ``/broadcast`` shows a preview with Send, Edit and Cancel, and nothing is queued
before Send; ``/broadcasts`` lists the scheduled ones, each with its Cancel button.

The buttons carry the broadcast's id, never a position: an older preview's button acts on what that preview
showed or answers that it is out of date.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import parsing
from bot.context import Context
from bot.errors import UserError
from bot.messages import Button, MessageBuilder, bold, code, italic, text
from bot.services import broadcasts as service
from bot.views import plural
from storage.models import Broadcast, Event

SEND, EDIT, DROP, UNSCHEDULE = "bsend", "bedit", "bdrop", "bcancel"
# Edit where the platform has forms (Slack's modal): the draft's fields to prefill it, then the corrected draft.
FORM, REVISE = "bform", "brevise"


async def broadcast(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    draft = service.parse_command(args)
    organiser = ctx.require_member()
    checked = await service.preview(ctx.session, event, organiser, draft, ctx.clock.now())
    broadcast_id = await service.save_draft(ctx.session, event, organiser, checked, ctx.clock.now())
    _show_preview(ctx, event, checked, broadcast_id)


def _show_preview(
    ctx: Context, event: Event, checked: service.Preview, broadcast_id: int, note: str = "", *, in_place: bool = False
) -> None:
    builder = MessageBuilder()
    if note:
        builder.line(italic(note))
    builder.line(bold("Preview of your broadcast"), " — nothing is sent until you press Send.")
    who = "1 person" if checked.recipients == 1 else f"{checked.recipients} people"
    reach = f"the linked chat, plus {who} elsewhere" if checked.via_channel else who
    builder.line(
        "To: ", bold(checked.audience), f" ({reach}" + (", counted again when it goes out)" if checked.when else ")")
    )
    if checked.when is None:
        builder.line("When: now")
    else:
        builder.line(
            f"When: {checked.when.astimezone(ZoneInfo(event.time_zone)):%a %d %b %Y %H:%M} ({event.time_zone})"
        )
    if checked.asleep:
        builder.line(
            f"{checked.asleep} of them {'is' if checked.asleep == 1 else 'are'} in their quiet hours then"
            " (21:00–08:00 their time): they get it at 08:00 their time."
        )
    builder.line("Members will see:")
    for line in checked.message.lines:
        builder.line(*line)
    value = str(broadcast_id)
    builder.buttons(Button("Send", SEND, value), Button("Edit", EDIT, value), Button("Cancel", DROP, value))
    (ctx.edit if in_place else ctx.reply)(builder.build())


async def send(ctx: Context, value: str) -> None:
    row, event = await service.draft_of(ctx.session, _id(value), ctx.require_member())
    await ctx.require_organiser(event)
    outcome = await service.send_draft(ctx.session, row, event, ctx.require_member(), ctx.clock.now())
    if isinstance(outcome, service.Preview):
        fresh = await service.save_draft(ctx.session, event, ctx.require_member(), outcome, ctx.clock.now())
        _show_preview(ctx, event, outcome, fresh, "Who this reaches has changed since that preview; nothing was sent.")
        return
    ctx.queued += outcome.queued
    if outcome.when is not None:
        local = outcome.when.astimezone(ZoneInfo(event.time_zone))
        ctx.edit(
            MessageBuilder()
            .line(f"📅 Scheduled for {local:%a %d %b %H:%M} ({event.time_zone}), to ", bold(row.audience), ".")
            .line("See or cancel it with /broadcasts.")
            .build()
        )
    elif not outcome.recipients:
        ctx.edit(text(f"Nobody to send to: no active members of {event.name} match “{row.audience}”."))
    else:
        ctx.edit(text(f"📣 Sending to {plural(outcome.recipients, 'recipient')}; I'll report when it's done."))


async def edit(ctx: Context, value: str) -> None:
    row, event = await service.draft_of(ctx.session, _id(value), ctx.require_member())
    service.drop(row)
    ctx.edit(
        MessageBuilder()
        .line("Nothing was sent. Change this and send it again:")
        .line(code(service.draft_fields(row, event).as_command()))
        .build()
    )


async def form(ctx: Context, value: str) -> None:
    """Edit in a form: the draft as it stands, to prefill it. Nothing changes; the draft stays until Send."""
    row, event = await service.draft_of(ctx.session, _id(value), ctx.require_member())
    await ctx.require_organiser(event)
    fields = service.draft_fields(row, event)
    fallback = MessageBuilder().line("Change this and send it again:").line(code(fields.as_command())).build()
    ctx.offer_form("broadcast", str(row.id), fields.to_dict(), fallback)


async def revise(ctx: Context, value: str) -> None:
    """The corrected draft from the form (``ID ARGS``, ARGS as /broadcast reads them): the same draft, rewritten,
    and its preview shown again in place of the old one. Nothing is queued before Send."""
    number, _, args = value.partition(" ")
    row, event = await service.draft_of(ctx.session, _id(number), ctx.require_member())
    await ctx.require_organiser(event)
    organiser = ctx.require_member()
    checked = await service.preview(ctx.session, event, organiser, service.parse_command(args), ctx.clock.now())
    service.revise_draft(row, checked)
    _show_preview(ctx, event, checked, row.id, in_place=True)


async def drop(ctx: Context, value: str) -> None:
    row, _ = await service.draft_of(ctx.session, _id(value), ctx.require_member())
    service.drop(row)
    ctx.edit(text("Cancelled: nothing was sent."))


async def listed(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    waiting = await service.scheduled(ctx.session, event)
    if not waiting:
        ctx.reply(text(f"No broadcasts of {event.name} are waiting to go out. Schedule one with /broadcast at …"))
        return
    zone = ZoneInfo(event.time_zone)
    builder = MessageBuilder().line(bold(f"Scheduled broadcasts of {event.name}"), f" ({event.time_zone})")
    for row, step in waiting:
        builder.line(f"#{row.id}  {step.due_at.astimezone(zone):%a %d %b %H:%M}  to ", bold(row.audience), ":")
        builder.line(italic(parsing.shorten(row.text, 80)))
    for row, _ in waiting[:20]:
        builder.buttons(Button(f"Cancel #{row.id}", UNSCHEDULE, str(row.id)))
    ctx.reply(builder.build())


async def unschedule(ctx: Context, value: str) -> None:
    """Cancel a scheduled broadcast; the event is the broadcast's own, whatever the current event is now."""
    ctx.require_member()
    row = await ctx.session.get(Broadcast, _id(value))
    event = await ctx.session.get(Event, row.event_id) if row is not None else None
    if row is None or event is None:
        raise UserError("That broadcast is not waiting to go out any more, so there is nothing to cancel.")
    await ctx.require_organiser(event)
    await service.cancel(ctx.session, event, row.id, ctx.clock.now())
    ctx.reply(text(f"Cancelled broadcast #{row.id}: it will not go out."))


def _id(value: str) -> int:
    number = parsing.small_int(value)
    if number is None:
        raise UserError("That preview is out of date. Nothing was sent.")
    return number
