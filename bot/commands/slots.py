"""Organisers set the times and places members can book: ``/slots`` in one line, a guided form, or a modal.

A change that would cancel bookings is shown first and needs a confirmation; the members of every cancelled
meeting are told.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import UserError
from bot.forms import Field, Form, Forms
from bot.meetings import grid, setup
from bot.meetings import texts as meeting_texts
from bot.messages import Button, Message, MessageBuilder, bold, italic, text
from bot.parsing import small_int
from bot.views import is_over, plural
from storage.models import Event, MeetingGridChange

PREVIEW = 10  # cancelled meetings listed in a confirmation


async def slots(ctx: Context, args: str, forms: Forms) -> None:
    event = await ctx.organised_event()
    if event.recurrence is not None:
        raise UserError(
            f"{event.name} is a community with recurring rounds, not an event on one date, so it has no "
            "meeting slots: members of a community arrange their own meetings."
        )
    words = args.strip()
    if not words:
        await forms.start(ctx, "slots")
        return
    spec = grid.EMPTY if words.lower() in ("clear", "off", "none") else grid.parse(words)
    await _change(ctx, event, spec)


def _still_ahead(ctx: Context, event: Event) -> None:
    if is_over(event, ctx.clock.now()):
        raise UserError(f"{event.name} is over: its meetings are kept as they happened, so the slots can't change.")


async def _change(ctx: Context, event: Event, spec: grid.GridSpec) -> None:
    _still_ahead(ctx, event)
    change = await setup.plan(ctx.session, event, spec)
    if change.cancels:
        row = MeetingGridChange(
            event_id=event.id, spec=spec.to_dict(), cancels=[m.id for m in change.cancels], created_at=ctx.clock.now()
        )
        ctx.session.add(row)
        await ctx.session.flush()
        ctx.reply(_confirmation(event, change, row.id))
        return
    await _apply(ctx, event, change, spec)


def _confirmation(event: Event, change: setup.Change, change_id: int) -> Message:
    count = len(change.cancels)
    builder = MessageBuilder().line(bold(f"This change cancels {plural(count, 'booked meeting')}:"))
    for meeting in change.cancels[:PREVIEW]:
        builder.line(f"• {meeting_texts.summary(meeting, event, None)}")
    if count > PREVIEW:
        builder.line(italic(f"… and {count - PREVIEW} more."))
    builder.line("Their members will be told, and can book another time.")
    builder.buttons(
        Button("Yes, change the slots", "slotsok", str(change_id)), Button("No, keep them", "slotsno", str(change_id))
    )
    return builder.build()


async def _apply(ctx: Context, event: Event, change: setup.Change, spec: grid.GridSpec) -> None:
    ctx.queued += await setup.apply(ctx.session, event, change, ctx.clock.now())
    builder = MessageBuilder()
    if not spec.places:
        builder.line("No more meeting slots for ", bold(event.name), ".")
    else:
        zone = ZoneInfo(event.time_zone)
        builder.line("Meeting slots for ", bold(event.name), " set:")
        builder.line(
            f"{plural(change.slot_count, 'slot')} of {spec.every} minutes, {spec.start}–{spec.end} ({zone.key}), "
            f"at {plural(len(spec.places), 'place')}."
        )
        roomy = [p for p in spec.places if p.capacity > 1]
        if roomy:
            builder.line(
                "Holding more than one meeting at once: " + ", ".join(f"{p.name} ({p.capacity})" for p in roomy)
            )
        builder.line(italic("A place holds one meeting unless you add *N, e.g. Bar*10."))
        builder.line("Members now get “Pick a time to meet” with their introductions. See the grid: /meetings")
    if change.cancels:
        builder.line(f"{plural(len(change.cancels), 'meeting')} cancelled; their members have been told.")
    ctx.reply(builder.build())


async def confirm(ctx: Context, value: str) -> None:
    """The "Yes, change the slots" button: applied only if it would cancel no more than what the organiser saw."""
    row, event = await _pending(ctx, value)
    _still_ahead(ctx, event)
    spec = grid.GridSpec.from_dict(row.spec)
    change = await setup.plan(ctx.session, event, spec)
    if not {m.id for m in change.cancels} <= set(row.cancels):
        row.applied_at = ctx.clock.now()
        await _change(ctx, event, spec)  # more bookings since: show them, ask again
        return
    row.applied_at = ctx.clock.now()
    ctx.edit(text("Changing the slots…"))
    await _apply(ctx, event, change, spec)


async def keep(ctx: Context, value: str) -> None:
    row, _ = await _pending(ctx, value)
    row.applied_at = ctx.clock.now()
    ctx.edit(text("Nothing changed: the slots and their bookings stay as they are."))


async def _pending(ctx: Context, value: str) -> tuple[MeetingGridChange, Event]:
    number = small_int(value)
    row = await ctx.session.get(MeetingGridChange, number) if number is not None else None
    event = await ctx.session.get(Event, row.event_id) if row is not None else None
    if row is None or event is None or row.applied_at is not None:
        raise UserError("That change is no longer waiting. Send /slots again.")
    await ctx.require_organiser(event)
    return row, event


def _window(ctx: Context, data: dict[str, Any], value: str) -> list[str]:
    start, sep, end = value.replace("–", "-").partition("-")
    if not sep:
        raise UserError("Send the window as two times, e.g. 19:00-21:00.")
    return [grid.clock(start), grid.clock(end)]


def _every(ctx: Context, data: dict[str, Any], value: str) -> int:
    minutes = small_int(value.lower().removesuffix("minutes").removesuffix("min").strip())
    if minutes is None:
        raise UserError("Send a number of minutes, e.g. 15.")
    return grid.check_every(minutes)


def _places(ctx: Context, data: dict[str, Any], value: str) -> list[list[Any]]:
    return [[p.name, p.capacity] for p in grid.places(value)]


async def _finish(ctx: Context, data: dict[str, Any]) -> None:
    event = await ctx.organised_event()
    start, end = data["window"]
    spec = grid.GridSpec.from_dict({"start": start, "end": end, "every": data["every"], "places": data["places"]})
    await _change(ctx, event, spec)


SLOTS_FORM = Form(
    "slots",
    (
        Field("window", "When can members meet? Send a window in the event's local time, e.g. 19:00-21:00.", _window),
        Field("every", "How long is each slot, in minutes? (e.g. 15)", _every),
        Field(
            "places",
            "Where can they meet? Send the places separated by commas, e.g. Bar*10, Terrace, Table 1-8 "
            "(a place holds one meeting at once unless you add *N; Table 1-8 is eight tables).",
            _places,
        ),
    ),
    _finish,
)
