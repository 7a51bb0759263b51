"""What the bot knows about a member (profile, mydata) and erasing it (forget)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, or_, select

from bot.commands import outcomes
from bot.commands.interests import labels_of
from bot.context import Context
from bot.intros.outlook import intros_outlook
from bot.intros.regroup import regroup_without
from bot.meetings.booking import free_member
from bot.messages import Button, MessageBuilder, bold, code, text
from bot.views import date_only, local_start
from storage import events as event_queries
from storage import meetings as meeting_queries
from storage import members as member_queries
from storage.models import (
    Block,
    Conversation,
    DashboardPass,
    Decline,
    Event,
    EventOrganiser,
    Intro,
    IntroHistory,
    Member,
    OutboxMessage,
    Participant,
    Relay,
)

CONFIRM, KEEP = "yes", "no"


async def profile(ctx: Context, args: str) -> None:
    member = ctx.member
    if member is None:
        ctx.reply(text("I don't know anything about you yet. Join an event with /join CODE."))
        return
    builder = MessageBuilder().line(bold("Your profile"))
    builder.line("Name: ", member.display_name)
    builder.line("Handle: ", member.handle or "—")
    builder.line(f"Platform: {member.platform}")
    builder.line(f"Time zone: {member.time_zone or 'not set (the event’s is used)'}")
    builder.line(f"Language: {member.language or 'not set'}")
    status = member.status
    if member.paused_until is not None and status == "paused":
        status += f" until {date_only(member.paused_until, member.time_zone)}"
    builder.line(f"Status: {status}")
    organised = await event_queries.organised_by(ctx.session, member.id)
    for event in await event_queries.joined_by(ctx.session, member.id):
        marker = " (current)" if event.id == member.current_event_id else ""
        chosen = await labels_of(ctx, member.id, event.id)
        builder.line("• ", bold(event.name), f"{marker}: ", ", ".join(chosen) if chosen else "no interests chosen yet")
        if event.id == member.current_event_id:
            builder.line("   ", await intros_outlook(ctx.session, event, ctx.clock.now()))
    for event in organised:
        builder.line("• You organise ", bold(event.name), f" (code {event.join_code})")
    builder.line("Everything stored about you: /mydata. Erase it: /forget.")
    ctx.reply(builder.build())


async def mydata(ctx: Context, args: str) -> None:
    if ctx.member is None:
        ctx.reply(text("I store nothing about you."))
        return
    data = await export(ctx, ctx.member)
    builder = MessageBuilder().line(bold("Everything I store about you:"))
    builder.line(code(json.dumps(data, indent=2, ensure_ascii=False, default=str)))
    ctx.reply(builder.build())


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    """Every row about the member, as plain data."""
    session = ctx.session
    participations = []
    for participant in (await session.scalars(select(Participant).where(Participant.member_id == member.id))).all():
        event = await session.get(Event, participant.event_id)
        assert event is not None
        participations.append(
            {
                "event": event.name,
                "code": event.join_code,
                "starts": local_start(event),
                "joined_at": participant.joined_at.isoformat(),
                "answered_at": participant.answered_at.isoformat() if participant.answered_at else None,
                "left_at": participant.left_at.isoformat() if participant.left_at else None,
                "interests": await labels_of(ctx, member.id, event.id),
                "organiser": await event_queries.is_organiser(session, event.id, member.id),
                "role": participant.role,
                "rsvp": participant.rsvp,
                "attended": participant.attended,
                **await outcomes.mydata_fields(session, event.id, member.id),
            }
        )
    blocks = (await session.scalars(select(Block).where(Block.member_id == member.id))).all()
    intros = (
        await session.scalars(
            select(IntroHistory).where(or_(IntroHistory.member_a == member.id, IntroHistory.member_b == member.id))
        )
    ).all()
    return {
        "platform": member.platform,
        "platform_user_id": member.platform_user_id,
        "display_name": member.display_name,
        "handle": member.handle,
        "time_zone": member.time_zone,
        "time_zone_from": member.time_zone_source,
        "language": member.language,
        "status": member.status,
        "paused_until": member.paused_until.isoformat() if member.paused_until else None,
        "consented_at": member.consented_at.isoformat() if member.consented_at else None,
        "created_at": member.created_at.isoformat(),
        "introductions_across_platforms": member.cross_platform_ok,
        "events": participations,
        "blocked_member_ids": [block.blocked_id for block in blocks],
        "declined_proposals": [
            {"event_id": d.event_id, "with_member_id": d.declined_id}
            for d in (await session.scalars(select(Decline).where(Decline.member_id == member.id))).all()
        ],
        "introductions": [
            {
                "with_member_id": i.member_b if i.member_a == member.id else i.member_a,
                "at": i.introduced_at.isoformat(),
            }
            for i in intros
        ],
        "round_answers": [
            {"round_id": i.round_id, "state": i.state, "met": i.met, "rating": i.rating}
            for i in (await session.scalars(select(Intro).where(Intro.member_id == member.id))).all()
        ],
        "meetings": [
            {"event_id": m.event_id, "starts_at": m.starts_at.isoformat(), "place": m.place_name, "state": m.state}
            for m in await meeting_queries.meetings_of_member(session, member.id)
        ],
        "form_in_progress": form.form if (form := await session.get(Conversation, member.id)) else None,
        "messages_passed_on": [
            {"to_member_id": r.recipient_id, "state": r.state, "at": r.created_at.isoformat(), "draft": r.text}
            for r in (await session.scalars(select(Relay).where(Relay.sender_id == member.id))).all()
        ],
        "dashboard_sign_ins": [
            {
                "purpose": p.purpose,
                "made_at": p.created_at.isoformat(),
                "used_at": p.used_at.isoformat() if p.used_at else None,
            }
            for p in (await session.scalars(select(DashboardPass).where(DashboardPass.member_id == member.id))).all()
        ],
        "messages_waiting": await session.scalar(
            select(func.count()).where(OutboxMessage.member_id == member.id, OutboxMessage.status == "queued")
        ),
    }


async def forget(ctx: Context, args: str) -> None:
    if ctx.member is None:
        ctx.reply(text("I store nothing about you, so there is nothing to erase."))
        return
    builder = MessageBuilder().line(bold("Erase everything I know about you?"))
    builder.line("Your profile, interests, events and introductions will be deleted. This cannot be undone.")
    alone = [
        event.name
        for event in await event_queries.organised_by(ctx.session, ctx.member.id)
        if await ctx.session.scalar(select(func.count()).where(EventOrganiser.event_id == event.id)) == 1
    ]
    if alone:  # the event goes on without anyone who may run its commands: say so before, not after
        builder.line(
            f"You are the only organiser of {', '.join(alone)}: nobody will be able to run its organiser "
            "commands (its campaign goes on by itself)."
        )
    builder.buttons(Button("Yes, erase me", "forget", CONFIRM), Button("No, keep me", "forget", KEEP))
    ctx.reply(builder.build())


async def confirm_forget(ctx: Context, value: str) -> None:
    if ctx.member is None:
        ctx.edit(text("Done: nothing about you is stored."))
        return
    if value != CONFIRM:
        ctx.edit(text("Nothing was erased."))
        return
    ctx.queued += await free_member(ctx.session, ctx.member, None, ctx.clock.now(), named=False)
    ctx.queued += await regroup_without(ctx.session, ctx.member, ctx.clock.now(), ctx.policy.group_dm_platforms)
    await member_queries.erase(ctx.session, ctx.member)
    ctx.member = None
    ctx.edit(text("Done: everything about you is erased. If you join again, you start fresh."))
