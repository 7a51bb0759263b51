"""Organisers see and shape the campaign: list it, turn steps off or on, move them, move the event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import parsing
from bot.campaign.plan import (
    AFTER_EVENT,
    PRE_EVENT,
    TITLES,
    add_community_round,
    next_occurrence,
    preview_reschedule,
    reschedule,
    steps_of,
)
from bot.campaign.timing import step_due
from bot.commands import confirmations, outcomes
from bot.commands.organising import new_event_row, require_creator
from bot.context import Context
from bot.errors import UserError
from bot.meetings.booking import free_member
from bot.meetings.moving import follow_event_move
from bot.messages import MessageBuilder, bold, italic, text
from bot.views import is_over, local_start, plural
from storage import events as event_queries
from storage import rounds
from storage.models import CampaignStep, Event, Participant, StepStatus

USAGE = (
    "Use /schedule to see the campaign, /schedule off KEY or /schedule on KEY, "
    "or /schedule move KEY DAYS HH:MM (e.g. /schedule move reminder -2 18:00)."
)
SKIPPED = " (skipped)"  # preview_reschedule's mark on a step whose new time would be past
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def schedule(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    words = args.split()
    steps = {step.key: step for step in await steps_of(ctx.session, event.id)}
    if words:
        action = words[0].lower()
        step = steps.get(words[1].lower()) if len(words) > 1 else None  # "Intros" is the intros step
        if action not in ("on", "off", "move") or step is None:
            raise UserError(
                USAGE if step is not None or len(words) < 2 else f"No step called “{words[1][:30]}”. {USAGE}"
            )
        if action in ("on", "off") and len(words) != 2:  # "off intros reminder" turned off only the intros
            raise UserError(
                f"Turn one step {action} at a time, e.g. /schedule {action} {step.key}. Nothing was changed."
            )
        if step.status != StepStatus.PENDING:
            raise UserError(f"The {step.key} step has already {step.status}: only pending steps can change.")
        if action in ("on", "off"):
            step.enabled = action == "on"
        else:
            if len(words) != 4:
                raise UserError(USAGE)
            if step.day_offset is None:  # set in hours before the start, not in days: it moves with the event
                raise UserError(
                    f"The {step.key} step is {in_words(None, None, step.minutes_before)} and moves with the event, "
                    f"so it has no day to move. Turn it off with /schedule off {step.key}, or move the event "
                    "with /move. Nothing was changed."
                )
            offset = parsing.small_int(words[2], signed=True)
            if offset is None or not -60 <= offset <= 60:
                raise UserError(
                    f"“{words[2][:20]}” is not a number of days I can use: give -60 to 60 (negative: before the "
                    f"event). Use /schedule move {step.key} DAYS HH:MM, e.g. /schedule move {step.key} -2 "
                    f"{words[3][:5]}. Nothing was changed."
                )
            at = parsing.event_time(words[3].zfill(5)).strftime("%H:%M")
            due = step_due(event.starts_at, event.time_zone, offset, at, None)
            if due <= ctx.clock.now():
                raise UserError("That time has already passed.")
            if step.kind in PRE_EVENT and due >= event.starts_at:
                raise UserError(
                    f"The {step.key} step comes before the event, but {in_words(offset, at)} is after its start "
                    f"({local_start(event)}). Use a negative number of days, e.g. /schedule move {step.key} -2 {at}."
                )
            if step.kind in AFTER_EVENT and due <= event.starts_at:
                raise UserError(
                    f"The {step.key} step is about the event itself, but {in_words(offset, at)} is not after its "
                    f"start ({local_start(event)}). Use a positive number of days, "
                    f"e.g. /schedule move {step.key} 1 {at}."
                )
            await _keep_intros_first(ctx, event, step, due, list(steps.values()))
            step.day_offset, step.local_time, step.due_at = offset, at, due
    builder = MessageBuilder().line(bold(f"Campaign of {event.name}"), f" — the event: {local_start(event)}")
    zone = ZoneInfo(event.time_zone)
    rounds_run = await rounds.introduced_anyone(ctx.session, event.id)
    for step in sorted(steps.values(), key=lambda s: s.due_at):
        state = step.status if step.enabled else "off"
        if step.kind == "intros" and step.status == StepStatus.PENDING and rounds_run:
            state = "moot: a round was already sent with /match now, so it will not run"
        when = step.due_at.astimezone(zone)
        relative = f" ({in_words(step.day_offset, step.local_time, step.minutes_before)})"
        builder.line(
            f"{when:%a %d %b %H:%M}  ",
            bold(step.key),
            f"  {TITLES.get(step.kind, step.kind)}{relative if relative != ' ()' else ''}  [{state}]",
        )
    builder.line(italic("Change with /schedule off KEY, /schedule on KEY, /schedule move KEY DAYS HH:MM."))
    ctx.reply(builder.build())


AFTER_INTROS = ("say_hi", "lookout")  # they ask about the introductions, so they come after them


async def _keep_intros_first(
    ctx: Context, event: Event, step: CampaignStep, due: datetime, steps: list[CampaignStep]
) -> None:
    """A move that puts "Have you said hi?" or "Look out for your match" before the introductions is refused:
    they would run with nobody introduced yet (unless a round already went out with /match now)."""
    if step.kind not in ("intros", *AFTER_INTROS) or await rounds.introduced_anyone(ctx.session, event.id):
        return
    waiting = [s for s in steps if s.enabled and s.status == StepStatus.PENDING and s.key != step.key]
    if step.kind == "intros":
        clash = [s for s in waiting if s.kind in AFTER_INTROS and s.due_at <= due]
    else:
        clash = [s for s in waiting if s.kind == "intros" and s.due_at >= due]
    if clash:
        zone = ZoneInfo(event.time_zone)
        other = clash[0]
        raise UserError(
            f"That would put the {step.key} step {'after' if step.kind == 'intros' else 'before'} the "
            f"{other.key} step ({other.due_at.astimezone(zone):%a %d %b %H:%M}), so "
            f"{TITLES.get(other.kind if step.kind == 'intros' else step.kind, '')} would come before anyone was "
            f"introduced. Move or turn off the {other.key} step first. Nothing was changed."
        )


def in_words(day_offset: int | None, local_time: str | None, minutes_before: int | None = None) -> str:
    """A step's time relative to the event as a person reads it: "2 days before, 09:00", "2 hours before"."""
    if minutes_before is not None:
        hours, minutes = divmod(minutes_before, 60)
        if minutes:
            return f"{minutes_before} minutes before the start"
        return f"{hours} hour{'s' if hours != 1 else ''} before the start"
    if day_offset is None or local_time is None:
        return ""
    if day_offset == 0:
        return f"the day of the event, {local_time}"
    days = abs(day_offset)
    return f"{days} day{'s' if days != 1 else ''} {'before' if day_offset < 0 else 'after'}, {local_time}"


async def move_event(ctx: Context, args: str) -> None:
    """Moving the event moves its campaign: the organiser sees what will change and confirms first."""
    event = await ctx.organised_event()
    parts = args.split()
    if len(parts) != 2:
        raise UserError("Use /move YYYY-MM-DD HH:MM (the new start, in the event's time zone).")
    if event.recurrence is not None:
        raise UserError(f"{event.name} is a community with recurring rounds: it has no date to move.")
    if is_over(event, ctx.clock.now()):
        raise UserError(
            f"{event.name} already took place ({local_start(event)}), so nothing was moved. "
            "For another date, create a new event with /newevent."
        )
    zone = ZoneInfo(event.time_zone)
    start = parsing.event_start(parsing.event_date(parts[0]), parsing.event_time(parts[1]), zone, ctx.clock.now())
    await _ask_move(ctx, event, start)


async def _ask_move(ctx: Context, event: Event, start: datetime, note: str = "") -> None:
    steps = await preview_reschedule(ctx.session, event, start, ctx.clock.now())
    local = start.astimezone(ZoneInfo(event.time_zone))
    builder = MessageBuilder().line(note, "Move ", bold(event.name), f" from {local_start(event)}")
    builder.line(f"to {local:%a %d %b %Y, %H:%M} ({event.time_zone})?")
    titles = {step.key: TITLES.get(step.kind, step.kind) for step in await steps_of(ctx.session, event.id)}
    moving = [titles.get(key.removesuffix(SKIPPED), key) for key in steps if not key.endswith(SKIPPED)]
    skipped = [titles.get(key.removesuffix(SKIPPED), key) for key in steps if key.endswith(SKIPPED)]
    verb = "moves" if len(steps) == 1 else "move"
    builder.line(f"{plural(len(steps), 'pending campaign step')} {verb} with it" + (":" if steps else "."))
    if moving:
        builder.line("• ", "; ".join(moving))
    if skipped:
        past = "it would" if len(skipped) == 1 else "they would"
        builder.line("• ", "; ".join(skipped), f" — {past} then be in the past and not run")
    builder.line("Scheduled broadcasts keep their own time. Members with a booked meeting get its new time;")
    builder.line("the others are not told: /broadcast them if you like.")
    payload = {"start": start.isoformat(), "was": event.starts_at.isoformat(), "steps": steps}
    await confirmations.ask(ctx, event, "move", payload, builder, "Yes, move the event")


async def confirmed_move(ctx: Context, event: Event, payload: dict[str, Any], confirmation: int) -> None:
    """The organiser said yes: move, unless the event or its campaign changed since the question."""
    start = datetime.fromisoformat(str(payload["start"]))
    if start <= ctx.clock.now():
        raise UserError("That start time has passed since I asked, so nothing was moved. Send /move again.")
    shown = list(payload["steps"])
    if payload["was"] != event.starts_at.isoformat() or shown != await preview_reschedule(
        ctx.session, event, start, ctx.clock.now()
    ):
        await _ask_move(ctx, event, start, "The event or its campaign changed since I asked. ")
        return
    event.starts_at = start
    ctx.queued += await follow_event_move(ctx.session, event, ctx.clock.now(), ctx.policy.group_dm_platforms)
    moved, past = await reschedule(ctx.session, event, ctx.clock.now())
    builder = MessageBuilder().line(bold(event.name), f" now starts {local_start(event)}.")
    builder.line(
        f"{plural(moved, 'pending step')} moved with it"
        + (f"; {past} of them {'is' if past == 1 else 'are'} now in the past and skipped." if past else ".")
    )
    ctx.edit(builder.build())


async def newcommunity(ctx: Context, args: str) -> None:
    """A community without a date: recurring rounds on a weekday and hour in its time zone."""
    require_creator(ctx)
    parts = parsing.split_args(args)
    if (
        len(parts) != 5
        or parts[1].lower() not in ("weekly", "fortnightly", "monthly")
        or parts[2].lower()[:3] not in WEEKDAYS
    ):
        raise UserError(
            'Use /newcommunity "Name" weekly|fortnightly|monthly DAY HH:MM ZONE, '
            'e.g. /newcommunity "Python London" weekly tue 10:00 Europe/London'
        )
    name, every, day, at, zone_name = parts
    zone = parsing.time_zone(zone_name)
    weekday = WEEKDAYS.index(day.lower()[:3])
    clock_time = parsing.event_time(at.zfill(5)).strftime("%H:%M")
    recurrence: dict[str, object] = {"every": every.lower(), "weekday": weekday, "time": clock_time}
    now = ctx.clock.now()
    first = next_occurrence(recurrence, zone.key, now + timedelta(days=1))
    event = await new_event_row(ctx, parsing.event_name(name), first, zone.key)
    event.recurrence = recurrence
    add_community_round(ctx.session, event, first, now)
    builder = MessageBuilder().line("🎉 Created the community ", bold(event.name), ".")
    builder.line(
        f"Rounds: {every.lower()} on {WEEKDAYS[weekday].title()} at {clock_time} "
        f"({zone.key}); the first is {first.astimezone(zone):%a %d %b}."
    )
    builder.line("Join code: ", event.join_code)
    ctx.reply(builder.build())


async def rsvp(ctx: Context, value: str) -> None:
    participant, answer = await _yes_or_no(ctx, value)
    event = await ctx.session.get(Event, participant.event_id)
    if event is not None and is_over(event, ctx.clock.now()):
        raise UserError(f"{event.name} is over, so there's nothing to answer any more. Thanks!")
    participant.rsvp = answer
    if answer == "no":
        ctx.queued += await free_member(
            ctx.session, ctx.require_member(), participant.event_id, ctx.clock.now(), named=True
        )
    ctx.reply(text("Great, see you there! 🎉" if answer == "yes" else "Thanks for letting me know. Maybe next time!"))


async def attended(ctx: Context, value: str) -> None:
    participant, answer = await _yes_or_no(ctx, value)
    participant.attended = answer
    ctx.reply(text("Glad you made it! 🙌" if answer == "yes" else "Thanks for telling me. Hope to see you next time!"))
    await outcomes.after_attendance(ctx, participant.event_id, answer)


async def _yes_or_no(ctx: Context, value: str) -> tuple[Participant, str]:
    """The member's place in the event a yes/no button asks about; pressing again just sets the same answer."""
    event_id, _, answer = value.partition(".")
    member = ctx.require_member()
    number = parsing.small_int(event_id)
    participant = await event_queries.participant(ctx.session, number, member.id) if number is not None else None
    if participant is None or answer not in ("yes", "no"):
        raise UserError("That question is no longer open.")
    if participant.left_at is not None:  # their answer would count in nothing, so it must not look taken
        raise UserError("You've left this event, so that question is no longer open. Nothing was changed.")
    return participant, answer
