"""The holdout's commands: /rules holdout, /export, the "met anyone new?" question, and its part of /stats."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context
from bot.errors import UserError
from bot.messages import Button, MessageBuilder, bold, text
from bot.outcomes import draw, export, report
from bot.parsing import small_int
from storage import events as event_queries
from storage import holdouts
from storage.models import Event

HOLDOUT_USAGE = (
    f"Use /rules holdout PERCENT ({draw.MIN_PERCENT}–{draw.MAX_PERCENT}) before the first round of introductions, "
    "or /rules holdout off."
)
MET_NEW = "metnew"
CLOSED = "That question is no longer open."


def _percent(value: str) -> int | None:
    number = small_int(value.strip().removesuffix("%").strip())
    return number if number is not None and draw.MIN_PERCENT <= number <= draw.MAX_PERCENT else None


async def holdout_rule(ctx: Context, event: Event, value: str) -> None:
    """``/rules holdout PERCENT|off``: only before the first round, and never for a community."""
    value = value.strip().lower()
    percent = None if value == "off" else _percent(value)
    if value != "off" and percent is None:
        raise UserError(HOLDOUT_USAGE)
    if event.recurrence:
        raise UserError(
            f"{event.name} is a community with recurring rounds: there is no attendance to compare, so it "
            "cannot have a holdout."
        )
    session = ctx.session
    current = await holdouts.holdout_of(session, event.id)
    if await holdouts.has_had_a_round(session, event.id):
        state = f"{current.percent} % held out" if current else "off"
        raise UserError(
            f"{event.name} has had its first round of introductions, so its holdout can no longer change "
            f"(it stays {state}): changing it now would mix up who was introduced and who was not."
        )
    if percent is None:
        await draw.stop(session, event.id)
        ctx.reply(text(f"Holdout off: everyone in {event.name} gets introductions."))
        return
    holdout = await draw.start(session, event.id, percent, ctx.rng.randrange(1, draw.SEED_LIMIT), ctx.clock.now())
    counts = await holdouts.group_counts(session, event.id)
    drawn = counts[True].members + counts[False].members
    builder = MessageBuilder().line(bold(f"Holdout on for {event.name}: {percent} %"))
    if current is not None:
        builder.line("(This replaces the earlier draw: no introductions have gone out yet.)")
    builder.line(
        f"{percent} % of members, drawn at random, get everything except introductions: the poll, reminders, "
        "the RSVP and the follow-ups. After the event, /stats compares how often each group came."
    )
    builder.line(f"Drawn so far: {counts[True].members} of {drawn} held out. Later joiners are drawn as they join.")
    builder.line(f"Seed: {holdout.seed}, recorded so the draw can be checked. Fixed once the first round goes out.")
    builder.line("Members are told that introductions go to most attendees, not all.")
    ctx.reply(builder.build())


async def holdout_line(session: AsyncSession, event: Event) -> str:
    """The holdout's line in /rules."""
    holdout = await holdouts.holdout_of(session, event.id)
    if holdout is None:
        return "Holdout: off (/rules holdout PERCENT, before the first round, measures what introductions do)"
    fixed = " (fixed: the first round has gone out)" if await holdouts.has_had_a_round(session, event.id) else ""
    return f"Holdout: {holdout.percent} % held out at random, seed {holdout.seed}{fixed}"


async def after_attendance(ctx: Context, event_id: int, answer: str) -> None:
    """After "I was there" in an event with a holdout, both groups alike are asked whether they met anyone new."""
    member = ctx.require_member()
    if answer != "yes" or await holdouts.draw_of(ctx.session, event_id, member.id) is None:
        return
    builder = MessageBuilder().line("One more question: did you get talking to anyone new there?")
    builder.buttons(Button("Yes", MET_NEW, f"{event_id}.yes"), Button("No", MET_NEW, f"{event_id}.no"))
    ctx.reply(builder.build())


async def met_someone_new(ctx: Context, value: str) -> None:
    event_id, _, answer = value.partition(".")
    member = ctx.require_member()
    number = small_int(event_id)
    row = await holdouts.draw_of(ctx.session, number, member.id) if number is not None else None
    if row is None or answer not in ("yes", "no"):
        raise UserError(CLOSED)
    row.met_someone_new = answer
    ctx.reply(text("Lovely, thanks for telling me! 🎉" if answer == "yes" else "Thanks for telling me."))


async def _outcomes(session: AsyncSession, event_id: int) -> report.EventOutcomes:
    counts = await holdouts.group_counts(session, event_id)
    return report.EventOutcomes(introduced=counts[False], held_out=counts[True])


async def add_to_stats(ctx: Context, builder: MessageBuilder, event: Event) -> None:
    """The event's two groups and the estimate; and, for an organiser of several, the pooled estimate."""
    session = ctx.session
    holdout = await holdouts.holdout_of(session, event.id)
    if holdout is not None:
        report.add_event(builder, holdout.percent, holdout.seed, await _outcomes(session, event.id))
    organised = await event_queries.organised_by(session, ctx.require_member().id)
    with_holdout = await holdouts.holdouts_of(session, [e.id for e in organised])
    if len(with_holdout) >= 2:
        report.add_pooled(builder, [await _outcomes(session, h.event_id) for h in with_holdout])


async def export_rows(ctx: Context, args: str) -> None:
    """``/export``: the event's outcome rows as CSV, one message per part, without names or ids."""
    event = await ctx.organised_event()
    rows = await holdouts.outcome_rows(ctx.session, event.id)
    if not rows:
        raise UserError(f"Nobody has joined {event.name} yet, so there are no rows to export.")
    for message in export.messages(event.name, rows):
        ctx.reply(message)


async def mydata_fields(session: AsyncSession, event_id: int, member_id: int) -> dict[str, Any]:
    """What /mydata shows of the member's draw in one event."""
    row = await holdouts.draw_of(session, event_id, member_id)
    if row is None:
        return {}
    return {"introductions_held_out": row.held_out, "met_someone_new": row.met_someone_new}
