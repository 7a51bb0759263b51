"""What members answer to introductions: said hi, not now, never again, opt-in, did you meet, rating."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context
from bot.errors import UserError
from bot.intros import texts
from bot.intros.candidates import load_pool
from bot.intros.rounds import IntroQueue, seed_for
from bot.matching import Group, match
from bot.meetings.blocking import after_block
from bot.messages import text
from bot.parsing import small_int
from storage import events as event_queries
from storage import intros as intro_queries
from storage.models import (
    Block,
    Decline,
    Event,
    Intro,
    IntroGroup,
    IntroHistory,
    IntroState,
    Member,
    Participant,
    Round,
)
from storage.outbox import NewMessage

CLOSED = "That introduction is no longer open."
NOBODY_ELSE = "partner declined; nobody else was free in this round"


async def _mine(
    ctx: Context, group_value: str, *, introduced: bool = True, after_leaving: bool = False
) -> tuple[Intro, IntroGroup, list[Member]]:
    """The sender's intro in this group, the group (locked: answers of a group are taken one at a time), and the
    other members. ``introduced``: the names are out; a group still waiting for opt-ins reveals nobody.
    A member who left the event answers nothing of it (``after_leaving``: except a block, which protects them)."""
    member = ctx.require_member()
    group_id = small_int(group_value)
    group = await intro_queries.locked_group(ctx.session, group_id) if group_id is not None else None
    if group is not None and not after_leaving:
        round_row = await ctx.session.get(Round, group.round_id)
        event = await ctx.session.get(Event, round_row.event_id) if round_row is not None else None
        place = await event_queries.participant(ctx.session, event.id, member.id) if event is not None else None
        if event is not None and place is not None and place.left_at is not None:
            raise UserError(f"You've left {event.name}, so that introduction is closed. Nothing was changed.")
    if group is None or (introduced and group.state != "introduced"):
        raise UserError(CLOSED)
    rows = (
        await ctx.session.execute(
            select(Intro, Member).join(Member, Member.id == Intro.member_id).where(Intro.group_id == group.id)
        )
    ).all()
    mine = [intro for intro, m in rows if m.id == member.id]
    if not mine:
        was_mine = group.state == "dissolved" and await ctx.session.scalar(
            select(Intro.id).where(Intro.round_id == group.round_id, Intro.member_id == member.id)
        )
        raise UserError(CLOSED if was_mine else "That introduction was for someone else.")
    return mine[0], group, [m for _, m in rows if m.id != member.id]


async def said_hi(ctx: Context, value: str) -> None:
    intro, _, others = await _mine(ctx, value)
    if intro.state == IntroState.SAID_HI:
        ctx.reply(text("Already noted: you said hi. 👋"))
        return
    intro.state, intro.updated_at = IntroState.SAID_HI, ctx.clock.now()
    names = ", ".join(other.display_name for other in await _still_in(ctx, intro, others))
    ctx.reply(text(f"Lovely! I've noted that you said hi{' to ' + names if names else ''}. Enjoy the conversation."))


async def _still_in(ctx: Context, intro: Intro, others: list[Member]) -> list[Member]:
    """Of the others, those still in the intro's event: someone who left is not named in a later message."""
    event = await _event_of(ctx, intro)
    query = select(Participant.member_id).where(
        Participant.event_id == event.id,
        Participant.member_id.in_([other.id for other in others]),
        Participant.left_at.is_(None),
    )
    staying = set((await ctx.session.scalars(query)).all())
    return [other for other in others if other.id in staying]


async def call_off_opt_ins(ctx: Context, event: Event, member: Member) -> None:
    """A member leaving the event: each of their groups still waiting for opt-ins goes on without them, as if they
    had said no (the others are told only that their possible match can't make it, and matched again), so nobody
    is introduced to someone who left, nor they to anyone."""
    query = (
        select(Intro)
        .join(IntroGroup, IntroGroup.id == Intro.group_id)
        .join(Round, Round.id == IntroGroup.round_id)
        .where(
            Round.event_id == event.id,
            Intro.member_id == member.id,
            IntroGroup.state == "proposed",
            Intro.state.in_((IntroState.PROPOSED, IntroState.ACCEPTED)),
        )
    )
    for intro in (await ctx.session.scalars(query)).all():
        group = await intro_queries.locked_group(ctx.session, intro.group_id) if intro.group_id else None
        if group is None:
            continue
        others = (
            await ctx.session.scalars(
                select(Member)
                .join(Intro, Intro.member_id == Member.id)
                .where(Intro.group_id == group.id, Member.id != member.id)
            )
        ).all()
        intro.state, intro.updated_at = IntroState.DECLINED, ctx.clock.now()
        await _dissolve(ctx, event, intro, group, list(others))


async def not_now(ctx: Context, value: str) -> None:
    intro, _, _ = await _mine(ctx, value)
    if intro.state != IntroState.SAID_HI:
        intro.state, intro.updated_at = IntroState.NOT_NOW, ctx.clock.now()
    ctx.reply(text("No problem. The introduction stays here for whenever you're ready."))


async def never_again(ctx: Context, value: str) -> None:
    intro, _, others = await _mine(ctx, value, after_leaving=True)
    for other in others:
        if await ctx.session.get(Block, (intro.member_id, other.id)) is None:
            ctx.session.add(Block(member_id=intro.member_id, blocked_id=other.id, created_at=ctx.clock.now()))
    await ctx.session.flush()
    assert intro.group_id is not None
    queued, cancelled = await after_block(ctx.session, intro.group_id, ctx.require_member(), ctx.clock.now())
    ctx.queued += queued
    names = ", ".join(other.display_name for other in others)
    off = " Your meeting with them is off; I've told them only that it can't go ahead." if cancelled else ""
    ctx.reply(text(f"Got it: I won't match you with {names} again. They won't be told.{off}"))


async def opt_in(ctx: Context, value: str) -> None:
    group_value, _, answer = value.partition(".")
    intro, group, others = await _mine(ctx, group_value, introduced=False)
    if answer not in ("yes", "no"):
        raise UserError(CLOSED)
    if intro.state == IntroState.ACCEPTED and answer == "yes":
        ctx.reply(text("You already said yes. I'll share names as soon as everyone has."))
        return
    # A yes can still become a no while the group waits for the others (it is locked, so this is one answer).
    changing_mind = intro.state == IntroState.ACCEPTED and answer == "no" and group.state == "proposed"
    if intro.state != IntroState.PROPOSED and not changing_mind:
        raise UserError(CLOSED)
    now = ctx.clock.now()
    intro.updated_at = now
    event = await _event_of(ctx, intro)
    if answer == "no":
        intro.state = IntroState.DECLINED
        for other in others:  # later rounds of the event do not propose this pair again
            if await ctx.session.get(Decline, (event.id, intro.member_id, other.id)) is None:
                ctx.session.add(
                    Decline(event_id=event.id, member_id=intro.member_id, declined_id=other.id, created_at=now)
                )
        await _dissolve(ctx, event, intro, group, others)
        later = " Maybe next round!" if event.recurrence else ""  # a dated event may have no next round
        ctx.reply(text(f"No problem, nobody will be told who you are.{later}"))
        return
    intro.state = IntroState.ACCEPTED
    if not others:  # everyone else has erased themselves since: there is nobody left to meet
        group.state = "dissolved"
        intro.state, intro.group_id, intro.reason = IntroState.LEFT_OUT, None, NOBODY_ELSE  # first in line next
        ctx.reply(text("Sorry, your possible match is no longer available. " + texts.next_round(event)))
        return
    states = {i.state for i in (await ctx.session.scalars(select(Intro).where(Intro.group_id == group.id))).all()}
    if states != {IntroState.ACCEPTED}:
        ctx.reply(text("Great! I'll share names as soon as everyone has said yes."))
        return
    for row in (await ctx.session.scalars(select(Intro).where(Intro.group_id == group.id))).all():
        row.state, row.updated_at = IntroState.INTRODUCED, now
    group.state = "introduced"
    member = ctx.require_member()
    members = sorted([member, *others], key=lambda m: m.id)
    repeat = await _met_before(ctx.session, [m.id for m in members])
    matched = Group(tuple(m.id for m in members), group.score, tuple(group.shared), tuple(group.roles), repeat)
    queue = IntroQueue(ctx.session, event, now, ctx.policy.group_dm_platforms)
    ctx.queued += await queue.introduce(group, matched, members)
    ctx.reply(text("Everyone said yes! Your introduction is on its way."))


async def _event_of(ctx: Context, intro: Intro) -> Event:
    round_row = await ctx.session.get(Round, intro.round_id)
    event = await ctx.session.get(Event, round_row.event_id) if round_row else None
    if event is None:
        raise UserError(CLOSED)
    return event


async def _met_before(session: AsyncSession, member_ids: Sequence[int]) -> bool:
    """Whether any two of these members were introduced before (what the matcher called a repeat)."""
    query = select(IntroHistory.id).where(IntroHistory.member_a.in_(member_ids), IntroHistory.member_b.in_(member_ids))
    return await session.scalar(query.limit(1)) is not None


async def _dissolve(ctx: Context, event: Event, declined: Intro, group: IntroGroup, others: list[Member]) -> None:
    """A decline frees the others. Everyone of this round who is waiting (freed now or earlier, or left out) is
    matched again; each member freed now is told the outcome: a new proposal, or that nobody else was free, in
    which case they are left out of this round and so first in line for the next."""
    now = ctx.clock.now()
    group.state = "dissolved"
    for row in (await ctx.session.scalars(select(Intro).where(Intro.group_id == group.id))).all():
        if row.id != declined.id:
            row.state, row.updated_at = IntroState.FREED, now
    waiting_states = (IntroState.FREED, IntroState.LEFT_OUT)
    waiting = {
        row.member_id: row
        for row in (
            await ctx.session.scalars(
                select(Intro).where(Intro.round_id == declined.round_id, Intro.state.in_(waiting_states))
            )
        ).all()
    }
    pool = await load_pool(ctx.session, event, now, only=set(waiting))
    round_row = await ctx.session.get(Round, declined.round_id)
    assert round_row is not None
    result = match(
        pool.candidates, pool.history, pool.blocks, pool.rules, seed=seed_for(event.id, round_row.number) + group.id
    )
    placed = {member_id for matched in result.groups for member_id in matched.members}
    queue = IntroQueue(ctx.session, event, now, ctx.policy.group_dm_platforms)
    notices = []
    for member in others:
        found = member.id in placed
        if not found:
            row = waiting[member.id]
            row.state, row.group_id, row.reason = IntroState.LEFT_OUT, None, NOBODY_ELSE
        notice = texts.partner_declined(event, found_another=found).to_dict()
        notices.append(
            NewMessage(
                f"freed:{group.id}:{member.id}",
                member.platform,
                member.platform_user_id,
                notice,
                member.id,
                event.id,
                not_before=queue.timing.when(member),
            )
        )
    ctx.queued += await queue.queue(notices)  # before the new proposals, so they arrive in that order
    still_waiting = {member_id: row for member_id, row in waiting.items() if member_id in placed}
    ctx.queued += await queue.add_groups(round_row, pool, result.groups, existing=still_waiting)


async def met(ctx: Context, value: str) -> None:
    intro, answer = await _answerable(ctx, value, ("yes", "not_yet", "no"))
    intro.met, intro.updated_at = answer, ctx.clock.now()
    if answer == "yes":
        ctx.reply(texts.rating_question(intro.id))
    elif answer == "not_yet":
        ctx.reply(text("No rush: there's still time. Say hi when you can!"))
    else:
        ctx.reply(text("Thanks for letting me know. It helps me make better introductions."))


async def rate(ctx: Context, value: str) -> None:
    intro, score = await _answerable(ctx, value, tuple("12345"))
    if intro.met != "yes":
        raise UserError("Tell me first whether you met.")
    intro.rating, intro.updated_at = int(score), ctx.clock.now()
    ctx.reply(text(f"Thank you! Noted {'⭐' * int(score)}."))


async def _answerable(ctx: Context, value: str, allowed: tuple[str, ...]) -> tuple[Intro, str]:
    intro_id, _, answer = value.partition(".")
    member = ctx.require_member()
    number = small_int(intro_id)
    intro = await ctx.session.get(Intro, number) if number is not None else None
    if intro is None or intro.member_id != member.id or answer not in allowed:
        raise UserError(CLOSED)
    event = await _event_of(ctx, intro)
    place = await event_queries.participant(ctx.session, event.id, member.id)
    if place is not None and place.left_at is not None:
        raise UserError(f"You've left {event.name}, so that introduction is closed. Nothing was changed.")
    return intro, answer
