"""Organiser commands: create an event, invite people, set the interest poll, see the numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from bot import parsing
from bot.campaign.plan import add_default_campaign
from bot.context import Context
from bot.errors import UserError
from bot.forms import Field, Form, Forms
from bot.meetings.report import numbers as meeting_numbers
from bot.messages import MessageBuilder, bold, code, italic
from bot.views import local_start
from storage import events as event_queries
from storage.models import (
    Event,
    EventOrganiser,
    InterestOption,
    Intro,
    IntroState,
    Member,
    MemberInterest,
    Participant,
    Round,
)

MATCHED = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)
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
    """Replace the event's options, keeping the answers for options whose label did not change."""
    event = await ctx.organised_event()
    labels: list[str] = data["options"]
    existing = {o.label.casefold(): o for o in await event_queries.options(ctx.session, event.id)}
    keep = {label.casefold() for label in labels}
    dropped = [o.id for key, o in existing.items() if key not in keep]
    if dropped:
        await ctx.session.execute(delete(InterestOption).where(InterestOption.id.in_(dropped)))
    for position, label in enumerate(labels):
        option = existing.get(label.casefold())
        if option is None:
            ctx.session.add(InterestOption(event_id=event.id, label=label, position=position))
        else:
            option.label, option.position = label, position
    builder = MessageBuilder().line("Poll for ", bold(event.name), f" set: {len(labels)} options.")
    builder.line(", ".join(labels))
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
    session = ctx.session
    in_event = Participant.event_id == event.id

    async def count(*conditions: Any) -> int:
        query = select(func.count()).select_from(Participant).join(Member, Member.id == Participant.member_id)
        return int(await session.scalar(query.where(in_event, *conditions)) or 0)

    joined = await count()
    left = await count(Participant.left_at.is_not(None))
    staying = Participant.left_at.is_(None)
    answered = await count(staying, Participant.answered_at.is_not(None))
    paused = await count(staying, Member.status == "paused")
    unreachable = await count(staying, Member.status == "unreachable")
    builder = MessageBuilder().line(bold(f"{event.name}"), f" — {local_start(event)}")
    builder.line(f"Joined: {joined}  ·  still in: {joined - left}  ·  left: {left}")
    builder.line(f"Answered the poll: {answered} of {joined - left}")
    builder.line(f"Paused: {paused}  ·  unreachable: {unreachable}")
    rsvp_yes = await count(staying, Participant.rsvp == "yes")
    rsvp_no = await count(staying, Participant.rsvp == "no")
    builder.line(f"Still coming: {rsvp_yes} yes  ·  {rsvp_no} no  ·  {joined - left - rsvp_yes - rsvp_no} not answered")
    intros = await session.execute(
        select(
            func.count(func.distinct(Intro.member_id)).filter(Intro.state.in_(MATCHED)),
            func.count().filter(Intro.state == IntroState.SAID_HI),
            func.count().filter(Intro.met == "yes"),
            func.avg(Intro.rating),
        )
        .join(Round, Round.id == Intro.round_id)
        .where(Round.event_id == event.id)
    )
    matched, accepted, met, rating = intros.one()
    average = f"{rating:.1f} / 5" if rating is not None else "no ratings yet"
    builder.line(f"Matched: {matched}  ·  said hi: {accepted}  ·  met: {met}  ·  average rating: {average}")
    came = await count(staying, Participant.attended == "yes")
    missed = await count(staying, Participant.attended == "no")
    builder.line(f"Attended: {came}  ·  couldn't make it: {missed}")
    booked, held = await meeting_numbers(session, event.id, ctx.clock.now())
    builder.line(f"Meetings booked: {booked}  ·  meetings held: {held}")
    tallies = await session.execute(
        select(InterestOption.label, func.count(MemberInterest.member_id))
        .outerjoin(MemberInterest, MemberInterest.option_id == InterestOption.id)
        .where(InterestOption.event_id == event.id)
        .group_by(InterestOption.id, InterestOption.label, InterestOption.position)
        .order_by(InterestOption.position)
    )
    rows = tallies.all()
    if rows:
        builder.line(bold("Interests:"))
        for label, number in rows:
            builder.line(f"• {label}: {number}")
    ctx.reply(builder.build())
