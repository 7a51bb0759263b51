"""Organiser commands for rounds: preview the groups, send the intros, follow up afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import UserError
from bot.intros import followups, texts
from bot.intros.rounds import IntroQueue, Plan, plan_round, run_round
from bot.messages import Button, MessageBuilder, bold, italic
from bot.parsing import small_int
from bot.views import plural
from storage.models import Event, Member

PREVIEW_LIMIT = 25


async def match(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    mode = args.strip().lower()
    if mode not in ("", "now", "preview"):
        raise UserError("Use /match to preview the groups, or /match now to send the introductions.")
    plan = await plan_round(ctx.session, event, ctx.clock.now())
    if not plan.result.groups and not plan.result.left_out:
        raise UserError(f"Nobody in {event.name} is ready to be introduced yet (members who joined and aren't paused).")
    if mode == "now":
        await _send(ctx, event, plan)
        return
    queue = IntroQueue(ctx.session, event, ctx.clock.now(), ctx.policy.group_dm_platforms)
    ctx.reply(_preview(event, plan, queue).build())


async def send_round(ctx: Context, value: str) -> None:
    """The "Send these intros" button under a preview."""
    event_id, _, number = value.partition(".")
    event_number, round_number = small_int(event_id), small_int(number)
    valid = event_number is not None and round_number is not None
    event = await ctx.session.get(Event, event_number) if valid else None
    if event is None:
        raise UserError("That preview is no longer valid. Send /match again.")
    await ctx.require_organiser(event)
    assert round_number is not None
    plan = await plan_round(ctx.session, event, ctx.clock.now(), round_number)
    await _send(ctx, event, plan)


async def _send(ctx: Context, event: Event, plan: Plan) -> None:
    ctx.queued += await run_round(ctx.session, event, plan, ctx.clock.now(), ctx.policy.group_dm_platforms)
    placed = sum(len(group.members) for group in plan.result.groups)
    builder = MessageBuilder().line(f"Round {plan.number} of ", bold(event.name), " is on its way: ")
    builder.line(f"{plural(len(plan.result.groups), 'introduction')} for {plural(placed, 'member')}.")
    if plan.result.left_out:
        builder.line(f"{plural(len(plan.result.left_out), 'member')} left out (told why; first in line next time).")
    if event.double_opt_in:
        builder.line(italic("Double opt-in is on: names go out once everyone in a group says yes."))
    ctx.reply(builder.build())


def _preview(event: Event, plan: Plan, queue: IntroQueue) -> MessageBuilder:
    """The groups with the reason each member will read, and, for a group conversation, when it goes out."""
    members = plan.pool.members
    builder = MessageBuilder().line(
        bold(f"Preview of round {plan.number}"), " for ", bold(event.name), " (nothing sent yet)"
    )
    for index, group in enumerate(plan.result.groups[:PREVIEW_LIMIT], start=1):
        people = [members[member_id] for member_id in group.members]
        names = " + ".join(member.display_name for member in people)
        why = texts.reason(event, group, people, queue.now)
        builder.line(f"{index}. ", bold(names), f" — score {group.score:.1f} — {why}")
        when = _conversation_time(queue, people)
        if when:
            builder.line(italic(when))
    hidden = len(plan.result.groups) - PREVIEW_LIMIT
    if hidden > 0:
        builder.line(italic(f"… and {plural(hidden, 'more group')}."))
    for left in plan.result.left_out:
        builder.line("Left out: ", members[left.member_id].display_name, f" — {left.reason}")
    builder.buttons(Button("Send these intros", "sendround", f"{event.id}.{plan.number}"))
    builder.line(italic("Or send /match now."))
    return builder


def _conversation_time(queue: IntroQueue, people: Sequence[Member]) -> str | None:
    """For a group on a platform with group conversations: when it goes out, in each member's zone, or the
    compromise when no hour is within everyone's waking hours."""
    platforms = {member.platform for member in people}
    if len(platforms) != 1 or next(iter(platforms)) not in queue.group_dm_platforms:
        return None
    zones = sorted({queue.zone(member) for member in people})
    together = queue.together(people)
    if together is None:
        return (
            f"   No hour is within everyone's waking hours (08:00–21:00 in {', '.join(zones)}): each gets their own "
            "message at a waking hour of theirs instead of one group conversation."
        )
    return "   One group conversation, " + _at(together, zones) + "."


def _at(moment: datetime, zones: Sequence[str]) -> str:
    return ", ".join(f"{moment.astimezone(ZoneInfo(zone)):%a %H:%M} in {zone}" for zone in zones)


async def followup(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    sent = await followups.send_followups(ctx.session, event, ctx.clock.now())
    ctx.queued += sent.queued
    if not sent.asked:
        raise UserError(f"No introductions of {event.name} are waiting for a follow-up.")
    builder = MessageBuilder().line(f"Asked {plural(sent.asked, 'member')} whether they met.")
    if sent.paused:
        builder.line(f"{plural(sent.paused, 'member')} paused after three unanswered rounds (told how to resume).")
    ctx.reply(builder.build())
