"""Organiser commands: create an event, invite people, set the interest poll, see the numbers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from bot import parsing
from bot.campaign.plan import add_default_campaign
from bot.charts import stats_png
from bot.commands import confirmations, outcomes
from bot.context import Context
from bot.errors import UserError
from bot.forms import Field, Form, Forms
from bot.messages import Attachment, MessageBuilder, bold, code, italic
from bot.services import polls
from bot.stats import EventStats, event_stats
from bot.views import local_start, plural
from storage import events as event_queries
from storage.models import Event, EventOrganiser

CHART_CAPTION = "The funnel and the interest poll"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed


async def newevent(ctx: Context, args: str, forms: Forms) -> None:
    require_creator(ctx)
    if not args:
        await forms.start(ctx, "newevent")
        return
    parts = parsing.split_args(args)
    if len(parts) != 4:
        raise UserError(
            f"To create an event in one line: {parsing.NEWEVENT_USAGE}\nOr send /newevent alone for a guided form."
        )
    name, day, at, zone = parts
    await create_event(
        ctx,
        {
            "name": parsing.event_name(name),
            "date": parsing.event_date(day).isoformat(),
            "time": parsing.event_time(at).strftime("%H:%M"),
            "zone": parsing.time_zone(zone).key,
        },
    )


def require_creator(ctx: Context) -> None:
    if not ctx.policy.may_create_events(ctx.sender):
        raise UserError("Creating events is limited to this community's organisers. Ask one of them to add you.")


async def create_event(ctx: Context, data: dict[str, Any]) -> None:
    zone = parsing.time_zone(data["zone"])
    start = parsing.event_start(
        parsing.event_date(data["date"]), parsing.event_time(data["time"]), zone, ctx.clock.now()
    )
    event = await new_event_row(ctx, data["name"], start, zone.key)
    add_default_campaign(ctx.session, event, ctx.clock.now())
    builder = MessageBuilder().line("🎉 Created ", bold(event.name), f", {local_start(event)}.")
    builder.line("Join code: ", code(event.join_code))
    builder.line("Next: set the interest poll with /poll, then share the code with /invite.")
    builder.line("I'll run the campaign (poll, intros, reminders, follow-up) on my own: see /schedule.")
    ctx.reply(builder.build())


async def new_event_row(ctx: Context, name: str, start: datetime, zone: str) -> Event:
    """The event, with the sender as its organiser and their current event."""
    member = await ctx.enrol()
    event = Event(
        name=name, starts_at=start, time_zone=zone, join_code=await _fresh_code(ctx), created_at=ctx.clock.now()
    )
    ctx.session.add(event)
    await ctx.session.flush()
    ctx.session.add(EventOrganiser(event_id=event.id, member_id=member.id))
    member.current_event_id = event.id
    return event


async def _fresh_code(ctx: Context) -> str:
    for _ in range(20):
        candidate = "".join(ctx.rng.choice(CODE_ALPHABET) for _ in range(6))
        if not await event_queries.code_taken(ctx.session, candidate):
            return candidate
    raise RuntimeError("could not find a free join code")


def _future_date(ctx: Context, data: dict[str, Any], value: str) -> str:
    day = parsing.event_date(value)
    if day < (ctx.clock.now() - timedelta(hours=12)).date():  # past everywhere, even at UTC-12
        raise UserError(f"{day.isoformat()} has already passed. Pick a future date.")
    return day.isoformat()


def _future_start_zone(ctx: Context, data: dict[str, Any], value: str) -> str:
    zone = parsing.time_zone(value)
    day, at = parsing.event_date(data["date"]), parsing.event_time(data["time"])
    parsing.event_start(day, at, zone, ctx.clock.now())
    return zone.key


NEWEVENT_FORM = Form(
    "newevent",
    (
        Field("name", "What's the event called?", lambda ctx, data, value: parsing.event_name(value)),
        Field("date", "What date is it? (YYYY-MM-DD, e.g. 2026-12-10)", _future_date),
        Field(
            "time",
            "What time does it start, local time? (HH:MM, 24-hour)",
            lambda ctx, data, value: parsing.event_time(value).strftime("%H:%M"),
        ),
        Field("zone", "Which time zone? (e.g. Europe/London, America/New_York)", _future_start_zone),
    ),
    create_event,
)


async def invite(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    builder = MessageBuilder().line("Invite people to ", bold(event.name), ":")
    builder.line("Join code: ", code(event.join_code))
    builder.line("Ask them to message me and send ", code(f"/join {event.join_code}"), ".")
    builder.line(italic("Forward this message as it is: the instructions work on every platform."))
    ctx.reply(builder.build(invite_code=event.join_code))


async def poll(ctx: Context, args: str, forms: Forms) -> None:
    await ctx.organised_event()
    if not args:
        await forms.start(ctx, "poll")
        return
    await set_poll(ctx, {"options": parsing.poll_options(args)})


async def set_poll(ctx: Context, data: dict[str, Any]) -> None:
    """Replace the event's options. Answers to options that survive are kept; when some answers would go,
    the organiser is asked first (what goes, how many answered it)."""
    event = await ctx.organised_event()
    change = await polls.plan(ctx.session, event, list(data["options"]))
    if change.loses_answers:
        await _ask_poll(ctx, event, change)
        return
    await _replace_poll(ctx, event, change, f"{event.id}:{ctx.clock.now().isoformat()}")


async def confirmed_poll(ctx: Context, event: Event, payload: dict[str, Any], confirmation: int) -> None:
    """The organiser said yes: replace as shown, unless what the question showed no longer holds."""
    change = await polls.plan(ctx.session, event, list(payload["options"]))
    if change.dropped != payload["dropped"]:
        await _ask_poll(ctx, event, change, "The answers changed since I asked. ")
        return
    await _replace_poll(ctx, event, change, f"c{confirmation}")


async def _ask_poll(ctx: Context, event: Event, change: polls.PollChange, note: str = "") -> None:
    builder = MessageBuilder().line(note, "Replace the poll of ", bold(event.name), "? It would drop:")
    for label, count in change.dropped.items():
        builder.line(f"• {label}" + (f" — chosen by {plural(count, 'member')}" if count else ""))
    builder.line("Those answers would be deleted and the members told; answers to the options you keep stay.")
    builder.line("New poll: ", ", ".join(change.labels))
    payload = {"options": list(change.labels), "dropped": change.dropped}
    await confirmations.ask(ctx, event, "poll", payload, builder, "Yes, replace the poll")


async def _replace_poll(ctx: Context, event: Event, change: polls.PollChange, key: str) -> None:
    ctx.queued += await polls.apply(ctx.session, event, change, ctx.clock.now(), key)
    builder = MessageBuilder().line("Poll for ", bold(event.name), f" set: {plural(len(change.labels), 'option')}.")
    builder.line(", ".join(change.labels))
    if change.loses_answers:
        builder.line("I've told the members whose answers changed.")
    builder.line("Members see it when they join, or with /interests.")
    ctx.reply(builder.build())


POLL_FORM = Form(
    "poll",
    (
        Field(
            "options",
            "Send the interest options, separated by commas (e.g. Python, Recruiting, Hiking).",
            lambda ctx, data, value: parsing.poll_options(value),
        ),
    ),
    set_poll,
)


async def stats(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    figures = await event_stats(ctx.session, event, ctx.clock.now())
    chart = await asyncio.to_thread(stats_png, event.name, figures)  # ~0.15 s of drawing, off the loop
    builder = stats_lines(event, figures)
    await outcomes.add_to_stats(ctx, builder, event)
    attachment = Attachment(f"stats-{event.join_code}.png", "image/png", chart, CHART_CAPTION)
    ctx.reply(builder.build(attachments=(attachment,)))


def stats_lines(event: Event, figures: EventStats) -> MessageBuilder:
    """The numbers as the chat shows them; the dashboard shows the same ``EventStats``."""
    builder = MessageBuilder().line(bold(f"{event.name}"), f" — {local_start(event)}")
    builder.line(f"Joined: {figures.joined}  ·  still in: {figures.still_in}  ·  left: {figures.left}")
    builder.line(f"Answered the poll: {figures.answered} of {figures.still_in}")
    builder.line(f"Paused: {figures.paused}  ·  unreachable: {figures.unreachable}")
    community = bool(event.recurrence)  # no date to come to: RSVPs and attendance mean nothing there
    if not community:
        builder.line(
            f"Still coming: {figures.rsvp_yes} yes  ·  {figures.rsvp_no} no  ·  {figures.rsvp_unknown} not answered"
        )
    rating = figures.average_rating
    average = f"{rating:.1f} / 5" if rating is not None else "no ratings yet"
    matched = f"Matched: {figures.matched}  ·  said hi: {figures.said_hi}  ·  met: {figures.met}"
    builder.line(f"{matched}  ·  average rating: {average}")
    if figures.introduced != figures.matched:
        builder.line(f"Intros delivered: {figures.introduced} of {figures.matched} matched (the rest are on their way)")
    if figures.uncertain:
        builder.line(
            italic(f"{plural(figures.uncertain, 'message')} may not have arrived (a timeout or a restart mid-send).")
        )
    if not community:
        builder.line(f"Attended: {figures.attended}  ·  couldn't make it: {figures.missed}")
    builder.line(f"Meetings booked: {figures.meetings_booked}  ·  meetings held: {figures.meetings_held}")
    if figures.interests:
        builder.line(bold("Interests:"))
        for label, number in figures.interests:
            builder.line(f"• {label}: {number}")
    return builder
