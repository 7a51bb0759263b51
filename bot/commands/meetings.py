"""Members book a time and a place to meet their match: pick times, propose, accept, reschedule, cancel.

Buttons carry the ids they act on and every handler re-reads the state, so a stale button or one pressed
twice is answered, never acted on twice.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.errors import UserError
from bot.intros.texts import meet_button, names
from bot.meetings import booking, proposals, report
from bot.meetings import texts as meeting_texts
from bot.messages import Button, Message, MessageBuilder, bold, italic, text
from bot.parsing import small_int
from storage import meetings as queries
from storage.models import (
    Event,
    Intro,
    IntroGroup,
    IntroState,
    Meeting,
    MeetingProposal,
    MeetingSlot,
    MeetingState,
    ProposalState,
    Round,
)

NOT_YOURS = "That introduction was for someone else."
GONE = "That introduction is no longer open."
MATCHED = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)


def _ids(value: str) -> tuple[int, int]:
    first, _, second = value.partition(".")
    a, b = small_int(first), small_int(second)
    if a is None or b is None:
        raise UserError(GONE)
    return a, b


def _id(value: str) -> int:
    number = small_int(value)
    if number is None:
        raise UserError(GONE)
    return number


async def _group(ctx: Context, group_id: int) -> booking.Group:
    """The group, locked, if the sender is one of the members who can still come."""
    member = ctx.require_member()
    group = await booking.load_group(ctx.session, group_id, lock=True)
    if group is None:
        raise UserError(GONE)
    if member.id not in group.member_ids:
        mine = await ctx.session.scalar(
            select(Intro.id).where(Intro.group_id == group_id, Intro.member_id == member.id)
        )
        raise UserError(
            f"You're no longer going to {group.event.name}, so I can't book for you." if mine else NOT_YOURS
        )
    return group


async def _proposal(ctx: Context, proposal_id: int) -> tuple[MeetingProposal, booking.Group]:
    proposal = await ctx.session.get(MeetingProposal, proposal_id)
    if proposal is None:
        raise UserError(proposals.CLOSED)
    group = await _group(ctx, proposal.group_id)
    await ctx.session.refresh(proposal)  # read again under the group's lock: an answer just committed counts
    return proposal, group


async def _show_picker(ctx: Context, group: booking.Group, replaces: Meeting | None) -> None:
    member = ctx.require_member()
    draft, free = await proposals.open_draft(ctx.session, group, member, ctx.clock.now(), replaces)
    others = group.others(member.id)
    ctx.reply(meeting_texts.picker(group.event, member, others, draft.id, free, [], moving=replaces))


async def meet(ctx: Context, value: str) -> None:
    """The "Pick a time to meet" button under an intro (or in /meetings)."""
    group = await _group(ctx, _id(value))
    live = await queries.live_meeting(ctx.session, group.row.id)
    if live is not None:
        ctx.reply(_booked(live, group, ctx))
        return
    await _show_picker(ctx, group, None)


def _booked(meeting: Meeting, group: booking.Group, ctx: Context) -> Message:
    member = ctx.require_member()
    builder = MessageBuilder().line("You're already meeting ", *names(group.others(member.id)), ":")
    builder.line(bold(meeting_texts.summary(meeting, group.event, member)))
    builder.buttons(
        Button("Reschedule", "mmove", str(meeting.id)), Button("Cancel meeting", "mcancel", str(meeting.id))
    )
    return builder.build()


async def toggle_time(ctx: Context, value: str) -> None:
    proposal_id, slot_id = _ids(value)
    proposal, group = await _proposal(ctx, proposal_id)
    member = ctx.require_member()
    if proposal.proposer_id != member.id or proposal.state != ProposalState.DRAFT:
        raise UserError(proposals.CLOSED)
    replaces = await proposals.replaced_meeting(ctx.session, proposal)
    free = await booking.free_slots(ctx.session, group.event, group.member_ids, ctx.clock.now(), ignore=replaces)
    if slot_id not in {s.id for s in free}:
        raise UserError("That time is no longer free. Press “Pick a time to meet” again to see what is.")
    chosen = list(proposal.slot_ids)
    proposal.slot_ids = [s for s in chosen if s != slot_id] if slot_id in chosen else [*chosen, slot_id]
    proposal.updated_at = ctx.clock.now()
    picker = meeting_texts.picker(
        group.event, member, group.others(member.id), proposal.id, free, proposal.slot_ids, moving=replaces
    )
    ctx.edit(picker)


async def send_proposal(ctx: Context, value: str) -> None:
    proposal, group = await _proposal(ctx, _id(value))
    member = ctx.require_member()
    if proposal.proposer_id != member.id or proposal.state != ProposalState.DRAFT:
        raise UserError(
            "That proposal has already been sent." if proposal.state != ProposalState.DRAFT else proposals.CLOSED
        )
    ctx.queued += await proposals.send(ctx.session, group, proposal, ctx.clock.now())
    await _tell_sent(ctx, group, proposal)


async def _tell_sent(ctx: Context, group: booking.Group, proposal: MeetingProposal) -> None:
    member = ctx.require_member()
    slots = await _slots(ctx, proposal.slot_ids)
    times = ", ".join(meeting_texts.when(s.starts_at, group.event, member) for s in slots)
    builder = MessageBuilder().line("📨 Sent to ", *names(group.others(member.id)), f": {times}.")
    builder.line("Nothing is booked until everyone accepts a time; I'll tell you as soon as they do.")
    ctx.reply(builder.build())


async def _slots(ctx: Context, ids: list[int]) -> list[MeetingSlot]:
    if not ids:
        return []
    query = select(MeetingSlot).where(MeetingSlot.id.in_(ids)).order_by(MeetingSlot.starts_at)
    return list((await ctx.session.scalars(query)).all())


async def accept(ctx: Context, value: str) -> None:
    proposal_id, slot_id = _ids(value)
    proposal, group = await _proposal(ctx, proposal_id)
    member = ctx.require_member()
    if proposal.state == ProposalState.BOOKED:
        live = await queries.live_meeting(ctx.session, group.row.id)
        if live is not None:
            ctx.reply(_booked(live, group, ctx))
            return
    if proposal.state != ProposalState.SENT or proposal.proposer_id == member.id or slot_id not in proposal.slot_ids:
        raise UserError(proposals.CLOSED + " Press “Pick a time to meet” to propose a new one.")
    slot = await ctx.session.get(MeetingSlot, slot_id)
    if slot is None or slot.starts_at <= ctx.clock.now():
        raise UserError("That time has passed or was removed by the organisers.")
    answer = await proposals.accept(
        ctx.session, group, proposal, member, slot, ctx.clock.now(), ctx.policy.group_dm_platforms
    )
    ctx.queued += answer.queued
    if answer.outcome is None:
        builder = MessageBuilder().line(
            f"Noted: {meeting_texts.when(slot.starts_at, group.event, member)} works for you."
        )
        builder.line("Waiting for ", *names(answer.waiting_for), " to accept a time too.")
        ctx.reply(builder.build())
        return
    assert answer.slot is not None
    meeting = answer.outcome.meeting
    if meeting is not None:
        line = f"✅ Booked: {meeting_texts.summary(meeting, group.event, member)}."
        ctx.reply(MessageBuilder().line(line).line("Your confirmation and calendar file are on their way.").build())
        return
    await _lost(ctx, group, answer.slot, answer.outcome)


async def _lost(ctx: Context, group: booking.Group, slot: MeetingSlot, outcome: booking.Outcome) -> None:
    """The booking lost a race (the last seat went to someone else, or a member got busy): say so, offer next."""
    member = ctx.require_member()
    now = ctx.clock.now()
    free = [s for s in await booking.free_slots(ctx.session, group.event, group.member_ids, now) if s.id != slot.id]
    if outcome.busy:
        busy = [m for m in group.members if m.id in outcome.busy]
        builder = MessageBuilder().line(
            *names(busy),
            f" already {'has' if len(busy) == 1 else 'have'} another meeting at ",
            meeting_texts.when(slot.starts_at, group.event, member),
            ", so nothing was booked.",
        )
        if free:
            builder.buttons(
                Button(
                    f"Propose {meeting_texts.when(free[0].starts_at, group.event, None)}",
                    "mquick",
                    f"{group.row.id}.{free[0].id}",
                )
            )
        ctx.reply(builder.build())
        return
    ctx.reply(meeting_texts.slot_lost(group.event, member, slot, free[0] if free else None, group.row.id))


async def suggest_other(ctx: Context, value: str) -> None:
    proposal, group = await _proposal(ctx, _id(value))
    if proposal.state != ProposalState.SENT:
        raise UserError(proposals.CLOSED)
    await _show_picker(ctx, group, await proposals.replaced_meeting(ctx.session, proposal))


async def quick_propose(ctx: Context, value: str) -> None:
    """The "Propose 19:30" button after losing a slot: one time, sent at once."""
    group_id, slot_id = _ids(value)
    group = await _group(ctx, group_id)
    member = ctx.require_member()
    if await queries.live_meeting(ctx.session, group.row.id) is not None:
        raise UserError("Your group already has a meeting booked: see /meetings.")
    draft, free = await proposals.open_draft(ctx.session, group, member, ctx.clock.now(), None)
    if slot_id not in {s.id for s in free}:
        raise UserError("That time is no longer free either. Press “Pick a time to meet” to see what is.")
    draft.slot_ids = [slot_id]
    ctx.queued += await proposals.send(ctx.session, group, draft, ctx.clock.now())
    await _tell_sent(ctx, group, draft)


async def _meeting(ctx: Context, value: str) -> tuple[Meeting, booking.Group]:
    meeting = await ctx.session.get(Meeting, _id(value))
    if meeting is None:
        raise UserError(GONE)
    group = await _group(ctx, meeting.group_id)
    await ctx.session.refresh(meeting)  # under the group's lock: a cancel that just committed counts
    if meeting.state != MeetingState.BOOKED:
        raise UserError("That meeting has already been cancelled.")
    if meeting.ends_at <= ctx.clock.now():
        raise UserError("That meeting has already happened, so it can't be changed.")
    if meeting.starts_at <= ctx.clock.now():
        raise UserError("That meeting has already started, so it can't be changed.")
    return meeting, group


async def reschedule(ctx: Context, value: str) -> None:
    meeting, group = await _meeting(ctx, value)
    await _show_picker(ctx, group, meeting)


async def cancel(ctx: Context, value: str) -> None:
    meeting, group = await _meeting(ctx, value)
    member = ctx.require_member()
    others = group.others(member.id)
    why = f"{member.display_name} cancelled it."
    ctx.queued += await booking.cancel(
        ctx.session, meeting, group.event, ctx.clock.now(), why, others, also_file=[member]
    )
    builder = MessageBuilder().line(f"Cancelled: {meeting_texts.summary(meeting, group.event, member)}.")
    builder.line("I've told ", *names(others), ". The slot is free again.")
    builder.buttons(meet_button(group.row.id))
    ctx.reply(builder.build())


async def meetings(ctx: Context, args: str) -> None:
    """Organisers: the grid (or ``/meetings csv``). Members: their meetings, and a button for each match."""
    event = await ctx.current_event()
    organiser = await _organises(ctx, event)
    mode = args.strip().lower()
    if mode not in ("", "csv"):
        raise UserError("Use /meetings to see the meetings, or /meetings csv for the schedule as a file.")
    if mode == "csv":
        await ctx.require_organiser(event)
        ctx.reply(await report.csv_message(ctx.session, event))
        return
    if organiser:
        ctx.reply(await report.grid(ctx.session, event, ctx.clock.now()))
    mine = await _my_meetings(ctx, event)
    if mine is not None or not organiser:
        ctx.reply(mine or text(f"You have no introductions at {event.name} yet, so nobody to meet."))


async def _organises(ctx: Context, event: Event) -> bool:
    try:
        await ctx.require_organiser(event)
    except UserError:
        return False
    return True


async def _my_meetings(ctx: Context, event: Event) -> Message | None:
    member = ctx.require_member()
    rows = await ctx.session.execute(
        select(IntroGroup.id)
        .join(Intro, Intro.group_id == IntroGroup.id)
        .join(Round, Round.id == IntroGroup.round_id)
        .where(
            Round.event_id == event.id,
            Intro.member_id == member.id,
            Intro.state.in_(MATCHED),
            IntroGroup.state == "introduced",
        )
        .order_by(IntroGroup.id)
    )
    group_ids = [group_id for (group_id,) in rows.all()]
    if not group_ids:
        return None
    builder = MessageBuilder().line(bold(f"Your meetings at {event.name}"))
    has_slots = await queries.has_slots(ctx.session, event.id)
    for group_id in group_ids:
        group = await booking.load_group(ctx.session, group_id, lock=False)
        if group is None or member.id not in group.member_ids:
            continue
        live = await queries.live_meeting(ctx.session, group_id)
        others = group.others(member.id)
        if live is not None:
            builder.line("• ", *names(others), ": ", bold(meeting_texts.summary(live, event, member)))
            builder.buttons(
                Button("Reschedule", "mmove", str(live.id)), Button("Cancel meeting", "mcancel", str(live.id))
            )
        elif others:
            builder.line("• ", *names(others), ": no time booked yet")
            if has_slots:
                builder.buttons(
                    Button(f"{meeting_texts.PICK[:-2]} {others[0].display_name}"[:60], "meet", str(group_id))
                )
    if not has_slots:
        builder.line(italic("The organisers haven't set up meeting times yet."))
    return builder.build()
