"""Organiser commands for rounds: preview the groups, send the intros, follow up afterwards."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.campaign.plan import steps_of
from bot.commands import confirmations
from bot.context import Context
from bot.errors import UserError
from bot.intros import followups, texts
from bot.intros.candidates import wake_expired_pauses
from bot.intros.repeats import MET_EVERYONE
from bot.intros.rounds import Plan, Timing, introduced_before, only_new, read_pool, run_round_in_steps, solve
from bot.messages import Button, MessageBuilder, bold, italic
from bot.outcomes import draw
from bot.parsing import small_int
from bot.people import Person, told_apart
from bot.views import local_start, plural
from storage import rounds as round_queries
from storage.database import Database
from storage.models import Event, Round, StepStatus

PREVIEW_LIMIT = 25
NOTHING_TO_FOLLOW_UP = "No introductions of {} are waiting for a follow-up."


async def match(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    mode = args.strip().lower()
    if mode not in ("", "now", "preview"):
        raise UserError("Use /match to preview the groups, or /match now to send the introductions.")
    if mode == "now":
        await _ask_or_send(ctx, event)
        return
    ctx.after_commit(RoundJob(event.id, send=False))


async def _ask_or_send(ctx: Context, event: Event, note: str = "") -> None:
    """``/match now`` sends at once, unless it would be another round (one already went out) or make the
    campaign's own intros moot: then the organiser is told what will happen and asked first."""
    if await round_queries.unfinished(ctx.session, event.id) is not None:  # finishing one cut short: no question
        ctx.after_commit(RoundJob(event.id, send=True))
        return
    facts = await _round_facts(ctx, event)
    if facts["last"] is None and facts["step"] is None:
        ctx.after_commit(RoundJob(event.id, send=True))
        return
    number = await round_queries.next_number(ctx.session, event.id)
    zone = ZoneInfo(event.time_zone)
    builder = MessageBuilder()
    if note:
        builder.line(italic(note))
    if facts["last"] is not None:
        last, when, placed = facts["last"]
        sent_at = datetime.fromisoformat(when).astimezone(zone)
        builder.line(
            f"Round {last} of ", bold(event.name), f" went out {sent_at:%a %d %b, %H:%M} to {plural(placed, 'member')}."
        )
        again = " (nobody gets the same introduction twice)" if event.recurrence is None else ""
        builder.line(f"Another round introduces everyone again, to new people{again}.")
    if facts["step"] is not None:
        due = datetime.fromisoformat(facts["step"]).astimezone(zone)
        builder.line(
            f"The campaign will send the intros on {due:%a %d %b, %H:%M} (see /schedule); "
            "sending now makes that step moot."
        )
    builder.line(f"Send round {number} now?")
    await confirmations.ask(ctx, event, "round", {**facts, "number": number}, builder, f"Yes, send round {number}")


async def _round_facts(ctx: Context, event: Event) -> dict[str, Any]:
    """What the question about another round shows: the last round sent (number, when, how many placed), and
    the campaign's intros step still waiting (when), as plain values the confirmation keeps."""
    last = await round_queries.latest(ctx.session, event.id)
    shown_last = None
    if last is not None:
        shown_last = [last.number, last.created_at.isoformat(), await round_queries.placed_count(ctx.session, last.id)]
    step = None
    if last is None and event.recurrence is None:
        intros = await steps_of(ctx.session, event.id)
        pending = [s for s in intros if s.kind == "intros" and s.enabled and s.status == StepStatus.PENDING]
        if pending and pending[0].due_at > ctx.clock.now():
            step = pending[0].due_at.isoformat()
    return {"last": shown_last, "step": step}


async def confirmed_round(ctx: Context, event: Event, payload: dict[str, Any], confirmation: int) -> None:
    """The organiser said yes: send the round the question named, unless what it showed changed since."""
    facts = await _round_facts(ctx, event)
    number = await round_queries.next_number(ctx.session, event.id)
    if facts["last"] != payload.get("last") or facts["step"] != payload.get("step") or number != payload.get("number"):
        await _ask_or_send(ctx, event, "Things changed since I asked.")
        return
    ctx.edit(MessageBuilder().line(f"Yes to round {number} of ", bold(event.name), ".").build())  # the round says more
    ctx.after_commit(RoundJob(event.id, send=True, number=number))


async def send_round(ctx: Context, value: str) -> None:
    """The "Send these intros" button under a preview: it sends the groups that preview showed, or, when they
    would come out differently now (someone joined, left, paused, answered), says so and shows the new ones."""
    event_id, _, rest = value.partition(".")
    number, _, shown = rest.partition(".")
    event_number, round_number = small_int(event_id), small_int(number)
    valid = event_number is not None and round_number is not None
    event = await ctx.session.get(Event, event_number) if valid else None
    if event is None:
        raise UserError("That preview is no longer valid. Send /match again.")
    await ctx.require_organiser(event)
    assert round_number is not None
    ctx.after_commit(RoundJob(event.id, send=True, number=round_number, shown=shown))


@dataclass(frozen=True, slots=True)
class RoundJob:
    """A preview or a round, after the command's transaction: the pool is read in a read-only transaction, matched
    in a separate process with no transaction open, and the round written in a short transaction of its own.
    So the matching keeps no connection busy, and on SQLite never holds the one writer."""

    event_id: int
    send: bool
    number: int | None = None
    shown: str | None = None  # the fingerprint of the groups the pressed preview showed

    async def __call__(self, database: Database, ctx: Context) -> None:
        now = ctx.clock.now()
        async with database.transaction() as session:
            await wake_expired_pauses(session, now)
            await draw.draw_latecomers(session, self.event_id, now)
            unfinished = await round_queries.unfinished(session, self.event_id)
            if self.number is not None and (unfinished is None or unfinished.number != self.number):
                sent = await session.scalar(
                    select(func.count()).where(Round.event_id == self.event_id, Round.number == self.number)
                )
                if sent:  # a preview's button pressed again: checked before matching anew, not after
                    raise UserError(f"Round {self.number} has already been sent.")
        async with database.read() as session:
            event = await session.get(Event, self.event_id)
            if event is None:
                raise UserError("That event no longer exists.")
            number, placed = self.number, set[int]()
            if unfinished is not None:  # cut short earlier: finish it for whoever it did not reach yet
                number, placed = unfinished.number, await round_queries.placed(session, unfinished.id)
            number, pool = await read_pool(session, event, now, number, wake_pauses=False, excluding=placed)
            met = await introduced_before(session, event)
        if not pool.candidates and unfinished is None:
            raise UserError(
                f"Nobody in {event.name} is ready to be introduced yet (members who joined and aren't paused)."
            )
        plan = only_new(await solve(event.id, number, pool), met)
        if (
            not plan.result.groups
            and unfinished is None
            and any(o.reason == MET_EVERYONE for o in plan.result.left_out)
        ):
            raise UserError(
                f"Everyone ready in {event.name} has already been introduced to everyone they could be matched "
                f"with, so round {plan.number} would bring nobody new. Nothing was sent."
            )
        if self.shown is not None and self.shown != fingerprint(plan):
            builder = MessageBuilder().line(
                italic("The groups would come out differently now than in that preview, so nothing was sent.")
            )
            ctx.reply(_preview(event, plan, Timing(event, now, ctx.policy.group_dm_platforms), builder).build())
            return
        if not self.send:
            ctx.reply(_preview(event, plan, Timing(event, now, ctx.policy.group_dm_platforms)).build())
            return
        ctx.queued += await run_round_in_steps(
            database, event, plan, now, ctx.policy.group_dm_platforms, resuming=unfinished
        )
        placed_now = sum(len(group.members) for group in plan.result.groups)
        builder = MessageBuilder().line(f"Round {plan.number} of ", bold(event.name), " is on its way: ")
        builder.line(f"{plural(len(plan.result.groups), 'introduction')} for {plural(placed_now, 'member')}.")
        if unfinished is not None:
            builder.line(italic(f"(It was cut short before: {plural(len(placed), 'member')} had theirs already.)"))
        if plan.result.left_out:
            builder.line(f"{plural(len(plan.result.left_out), 'member')} left out (told why; first in line next time).")
        if event.double_opt_in:
            builder.line(italic("Double opt-in is on: names go out once everyone in a group says yes."))
        ctx.reply(builder.build())


def fingerprint(plan: Plan) -> str:
    """Which groups a plan makes and whom it leaves out, in 8 characters (a preview's button carries it)."""
    groups = sorted(tuple(sorted(group.members)) for group in plan.result.groups)
    left = sorted(left.member_id for left in plan.result.left_out)
    return hashlib.sha256(repr((groups, left)).encode()).hexdigest()[:8]


def _preview(event: Event, plan: Plan, timing: Timing, builder: MessageBuilder | None = None) -> MessageBuilder:
    """The groups with the reason each member will read, and, for a group conversation, when it goes out."""
    members = plan.pool.members
    shown = told_apart(members.values())
    builder = (builder or MessageBuilder()).line(
        bold(f"Preview of round {plan.number}"), " for ", bold(event.name), " (nothing sent yet)"
    )
    for index, group in enumerate(plan.result.groups[:PREVIEW_LIMIT], start=1):
        people = [members[member_id] for member_id in group.members]
        names = " + ".join(shown[member.id] for member in people)
        why = texts.reason(event, group, people, timing.now)
        builder.line(f"{index}. ", bold(names), f" — score {group.score:.1f} — {why}")
        when = _conversation_time(timing, people)
        if when:
            builder.line(italic(when))
    hidden = len(plan.result.groups) - PREVIEW_LIMIT
    if hidden > 0:
        builder.line(italic(f"… and {plural(hidden, 'more group')}."))
    for left in plan.result.left_out:
        builder.line("Left out: ", shown[left.member_id], f" — {left.reason}")
    builder.buttons(Button("Send these intros", "sendround", f"{event.id}.{plan.number}.{fingerprint(plan)}"))
    builder.line(italic("Or send /match now."))
    return builder


def _conversation_time(timing: Timing, people: Sequence[Person]) -> str | None:
    """For a group on a platform with group conversations: when it goes out, in each member's zone, or the
    compromise when no hour is within everyone's waking hours."""
    platforms = {member.platform for member in people}
    if len(platforms) != 1 or next(iter(platforms)) not in timing.group_dm_platforms:
        return None
    zones = sorted({timing.zone(member) for member in people})
    together = timing.together(people)
    if together is None:
        return (
            f"   No hour is within everyone's waking hours (08:00–21:00 in {', '.join(zones)}): each gets their own "
            "message at a waking hour of theirs instead of one group conversation."
        )
    return "   One group conversation, " + _at(together, zones) + "."


def _at(moment: datetime, zones: Sequence[str]) -> str:
    return ", ".join(f"{moment.astimezone(ZoneInfo(zone)):%a %H:%M} in {zone}" for zone in zones)


async def followup(ctx: Context, args: str) -> None:
    """Ask who met. Before the event (of a dated event), it asks first: the question would be about a meeting
    that has not happened yet, and the campaign asks the day after on its own."""
    event = await ctx.organised_event()
    if not await followups.waiting(ctx.session, event, ctx.clock.now()):
        raise UserError(NOTHING_TO_FOLLOW_UP.format(event.name))
    if not event.recurrence and ctx.clock.now() < event.starts_at:
        builder = MessageBuilder().line(bold(event.name), f" hasn't happened yet: it starts {local_start(event)}.")
        builder.line("Asking “did you meet?” now asks members about a meeting that may not have happened yet;")
        builder.line("the campaign asks the day after the event on its own (see /schedule). Ask now anyway?")
        await confirmations.ask(ctx, event, "followup", {}, builder, "Yes, ask now")
        return
    await _ask_who_met(ctx, event)


async def confirmed_followup(ctx: Context, event: Event, payload: dict[str, Any], confirmation: int) -> None:
    await _ask_who_met(ctx, event)


async def _ask_who_met(ctx: Context, event: Event) -> None:
    sent = await followups.send_followups(ctx.session, event, ctx.clock.now())
    ctx.queued += sent.queued
    if not sent.asked:
        raise UserError(NOTHING_TO_FOLLOW_UP.format(event.name))
    builder = MessageBuilder().line(f"Asked {plural(sent.asked, 'member')} whether they met.")
    if sent.paused:
        builder.line(f"{plural(sent.paused, 'member')} paused after three unanswered rounds (told how to resume).")
    ctx.reply(builder.build())
