"""Joining events, choosing the current one, pausing, resuming and leaving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import parsing
from bot.commands import confirmations
from bot.commands.answers import call_off_opt_ins
from bot.context import Context
from bot.errors import UserError
from bot.intros.outlook import intros_outlook
from bot.intros.regroup import regroup_without
from bot.meetings.booking import free_member
from bot.messages import Button, MessageBuilder, bold, text
from bot.outcomes import draw
from bot.views import date_only, local_start, plural
from storage import events as event_queries
from storage import members
from storage.models import Event, MemberStatus, Participant

WELCOME = (
    "Hi! I'm Icebreaker. Before an event I introduce you to a few people who share your interests, "
    "so you arrive already knowing someone."
)


async def start(ctx: Context, args: str) -> None:
    if args.strip():
        await join(ctx, args)
        return
    builder = MessageBuilder().line(WELCOME).blank()
    builder.line("To join an event, send ", bold("/join CODE"), " with the code your organiser gave you.")
    builder.line("Organising one? Send ", bold("/newevent"), ". All commands: ", bold("/help"), ".")
    ctx.reply(builder.build())


async def join(ctx: Context, args: str) -> None:
    code = parsing.join_code(args)
    event = await event_queries.by_code(ctx.session, code)
    if event is None:
        raise UserError(f"No event has the code {code}. Check it with your organiser (codes look like HR7K2Q).")
    member = await ctx.enrol()
    existing = await event_queries.participant(ctx.session, event.id, member.id)
    now = ctx.clock.now()
    rejoined = existing is not None and existing.left_at is not None
    if existing is None:
        ctx.session.add(Participant(event_id=event.id, member_id=member.id, joined_at=now))
    elif rejoined:
        existing.left_at = None
    await draw.on_join(ctx.session, event.id, now)
    member.current_event_id = event.id
    if member.status == MemberStatus.LEFT:
        member.status = MemberStatus.ACTIVE
    builder = MessageBuilder()
    if existing is not None and not rejoined:
        builder.line("You're already in ", bold(event.name), ". It is now your current event.")
    else:
        builder.line("Welcome to ", bold(event.name), "! 🎉")
    builder.line(f"It starts {local_start(event)}. ", await intros_outlook(ctx.session, event, now))
    if note := await draw.holdout_note(ctx.session, event.id):
        builder.line(note)
    if await event_queries.options(ctx.session, event.id):
        builder.line("Tell me what you're into, so I can introduce you to the right people:")
        builder.buttons(Button("Choose my interests", "interests", str(event.id)))
    else:
        builder.line("I'll ask about your interests once the organisers have set up the poll.")
    ctx.reply(builder.build())


async def switch_event(ctx: Context, args: str) -> None:
    if not args.strip():
        await list_mine(ctx)
        return
    code = parsing.join_code(args)
    member = ctx.require_member()
    event = await event_queries.by_code(ctx.session, code)
    if event is None:
        raise UserError(f"No event has the code {code}.")
    joined = await event_queries.participant(ctx.session, event.id, member.id)
    organises = await event_queries.is_organiser(ctx.session, event.id, member.id)
    if not organises and (joined is None or joined.left_at is not None):
        raise UserError(f"You're not in {event.name}. Join it first with /join {code}.")
    member.current_event_id = event.id
    ctx.reply(MessageBuilder().line("Your current event is now ", bold(event.name), ".").build())


async def list_mine(ctx: Context) -> None:
    member = ctx.require_member()
    organised = await event_queries.organised_by(ctx.session, member.id)
    joined = [e for e in await event_queries.joined_by(ctx.session, member.id) if e not in organised]
    if not organised and not joined:
        ctx.reply(text("You're not in any event yet. Join one with /join CODE, or create one with /newevent."))
        return
    builder = MessageBuilder()
    for title, events in (("You organise:", organised), ("You joined:", joined)):
        if events:
            builder.line(bold(title))
            for event in events:
                _event_line(builder, event, current=event.id == member.current_event_id)
    builder.line("Switch with /event CODE.")
    ctx.reply(builder.build())


def _event_line(builder: MessageBuilder, event: Event, *, current: bool) -> None:
    marker = " ← current" if current else ""
    builder.line("• ", bold(event.name), f" — code {event.join_code}, {local_start(event)}{marker}")


async def pause(ctx: Context, args: str) -> None:
    member = ctx.require_member()
    weeks = parsing.weeks(args)
    member.status = MemberStatus.PAUSED
    if weeks is None:
        member.paused_until = None
        ctx.reply(text("Paused. I won't introduce you to anyone until you send /resume."))
        return
    member.paused_until = ctx.clock.now() + timedelta(weeks=weeks)
    until = date_only(member.paused_until, member.time_zone)
    ctx.reply(text(f"Paused for {plural(weeks, 'week')}, until {until}. Send /resume to come back sooner."))


async def resume(ctx: Context, args: str) -> None:
    member = ctx.require_member()
    if member.status == MemberStatus.ACTIVE:
        ctx.reply(text("You're not paused: introductions are on."))
        return
    member.status = MemberStatus.ACTIVE
    member.paused_until = None
    ctx.reply(text("Welcome back! Introductions are on again."))


async def leave(ctx: Context, args: str) -> None:
    """Leaving ends a member's introductions and messages of the event, so it asks first (Leave / Stay)."""
    event = await ctx.current_event()
    await _membership(ctx, event)
    builder = MessageBuilder().line("Leave ", bold(event.name), "?")
    builder.line("You won't get introductions or messages about it any more, and a meeting you booked is cancelled.")
    await confirmations.ask(ctx, event, "leave", {}, builder, "Leave", "Stay")


async def confirmed_leave(ctx: Context, event: Event, payload: dict[str, Any], confirmation: int) -> None:
    member = ctx.require_member()
    participant = await _membership(ctx, event)
    participant.left_at = ctx.clock.now()
    ctx.queued += await regroup_without(ctx.session, member, ctx.clock.now(), ctx.policy.group_dm_platforms)
    await members.withdraw_from_event(ctx.session, member, event.id)  # first: free_member's notices name them
    ctx.queued += await free_member(ctx.session, member, event.id, ctx.clock.now(), named=True)
    await call_off_opt_ins(ctx, event, member)
    remaining = await event_queries.joined_by(ctx.session, member.id)
    others = [e for e in remaining if e.id != event.id]
    if member.current_event_id in (event.id, None):  # switched to another event since asking: it stays current
        member.current_event_id = others[0].id if others else None
    if not others and not await event_queries.organised_by(ctx.session, member.id):
        member.status = MemberStatus.LEFT
    builder = MessageBuilder().line("You've left ", bold(event.name), ". No more introductions for it.")
    builder.line(f"Changed your mind? /join {event.join_code}. To erase everything about you: /forget.")
    ctx.edit(builder.build())


async def _membership(ctx: Context, event: Event) -> Participant:
    participant = await event_queries.participant(ctx.session, event.id, ctx.require_member().id)
    if participant is None or participant.left_at is not None:
        raise UserError(f"You're not a member of {event.name}, so there is nothing to leave.")
    return participant
