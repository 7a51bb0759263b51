"""Messages passed between introduced members on different platforms, with the sender's consent.

A Slack member cannot write to a Telegram member who has no username, and a Telegram member cannot write into
a Slack workspace they are not part of. So an intro across platforms carries a "Message NAME" button: the
member writes a message, sees what will be passed on (the text, with their name and platform) and presses
Send; only then does it go, through the outbox like every message, at a waking hour of the partner's. The
partner gets it with a Reply button and answers the same way. Nothing here knows any platform: it works
between any two.

Limits that keep it an introduction, not a chat service: only between members of one introduction (both still
in it), never once either has asked not to be matched with the other, at most ``RELAY_LIMIT`` messages per
member and introduction, each at most ``TEXT_LIMIT`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update

from bot.campaign.timing import outside_quiet_hours
from bot.context import Context
from bot.errors import UserError
from bot.forms import Field, Form, Forms
from bot.intros import texts
from bot.messages import Button, Message, MessageBuilder, text
from bot.parsing import small_int
from storage.models import (
    Block,
    Event,
    Intro,
    IntroGroup,
    IntroState,
    Member,
    MemberStatus,
    Relay,
    RelayState,
    Round,
)
from storage.outbox import NewMessage, enqueue

RELAY_LIMIT = 5
TEXT_LIMIT = 1000
IN_TOUCH = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)
CLOSED = "I can't pass a message on for that introduction any more."
PROMPT = f"Write your message (up to {TEXT_LIMIT:,} characters). I'll show it to you before I pass it on."


@dataclass(frozen=True, slots=True)
class Pair:
    """A sender and a recipient who are both in one open introduction."""

    event: Event
    group: IntroGroup
    sender: Member
    recipient: Member


async def _pair(ctx: Context, group_id: int | None, recipient_id: int | None) -> Pair:
    """The pair this button or draft is about, checked again every time: the introduction may have closed, one
    of them may have left, erased themselves or blocked the other since."""
    sender = ctx.require_member()
    group = await ctx.session.get(IntroGroup, group_id) if group_id is not None else None
    if group is None or group.state != "introduced" or recipient_id is None:
        raise UserError(CLOSED)
    in_touch = set(
        (
            await ctx.session.scalars(
                select(Intro.member_id).where(Intro.group_id == group.id, Intro.state.in_(IN_TOUCH))
            )
        ).all()
    )
    if sender.id not in in_touch:
        raise UserError("That introduction was for someone else.")
    recipient = await ctx.session.get(Member, recipient_id)
    reachable = (MemberStatus.ACTIVE, MemberStatus.PAUSED)
    if recipient is None or recipient.id == sender.id or recipient.id not in in_touch:
        raise UserError(CLOSED)
    if recipient.status not in reachable:
        raise UserError(f"{recipient.display_name} can't receive messages from me at the moment.")
    blocked = await ctx.session.scalar(
        select(func.count())
        .select_from(Block)
        .where(
            or_(
                (Block.member_id == sender.id) & (Block.blocked_id == recipient.id),
                (Block.member_id == recipient.id) & (Block.blocked_id == sender.id),
            )
        )
    )
    if blocked:
        raise UserError(CLOSED)
    round_row = await ctx.session.get(Round, group.round_id)
    event = await ctx.session.get(Event, round_row.event_id) if round_row is not None else None
    if event is None:
        raise UserError(CLOSED)
    return Pair(event, group, sender, recipient)


async def _sent_count(ctx: Context, pair: Pair) -> int:
    query = select(func.count(Relay.id)).where(
        Relay.group_id == pair.group.id, Relay.sender_id == pair.sender.id, Relay.state == RelayState.SENT
    )
    return int(await ctx.session.scalar(query) or 0)


async def _within_limit(ctx: Context, pair: Pair) -> None:
    if await _sent_count(ctx, pair) >= RELAY_LIMIT:
        raise UserError(
            f"You've passed {RELAY_LIMIT} messages to {pair.recipient.display_name} through me: "
            "swap contact details to keep talking."
        )


def _place(member: Member) -> str:
    return texts.PLATFORM_NAMES.get(member.platform, member.platform)


def _ids(value: str) -> tuple[int | None, int | None]:
    group, _, recipient = value.partition(".")
    return small_int(group), small_int(recipient)


async def write(ctx: Context, value: str, *, forms: Forms) -> None:
    """The "Message NAME" (or "Reply to NAME") button: ask for the message."""
    pair = await _pair(ctx, *_ids(value))
    await _within_limit(ctx, pair)
    ctx.reply(
        text(
            f"What would you like to say to {pair.recipient.display_name} on {_place(pair.recipient)}? "
            "I'll pass it on with your name, and they can answer the same way."
        )
    )
    await forms.start(ctx, "relay", {"group": pair.group.id, "to": pair.recipient.id})


def _parse_text(ctx: Context, data: dict[str, Any], value: str) -> str:
    message = value.strip()
    if not message:
        raise UserError("That message is empty.")
    if len(message) > TEXT_LIMIT:
        raise UserError(f"That's {len(message):,} characters: keep it to {TEXT_LIMIT:,}.")
    return message


async def _draft(ctx: Context, data: dict[str, Any]) -> None:
    """The message is written: keep it as a draft and show it, with Send and Cancel."""
    pair = await _pair(ctx, data.get("group"), data.get("to"))
    await ctx.session.execute(
        update(Relay)
        .where(Relay.sender_id == pair.sender.id, Relay.state == RelayState.DRAFT)
        .values(state=RelayState.DROPPED, text=None)
    )
    draft = Relay(
        group_id=pair.group.id,
        sender_id=pair.sender.id,
        recipient_id=pair.recipient.id,
        state=RelayState.DRAFT,
        text=str(data["text"]),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(draft)
    await ctx.session.flush()
    builder = MessageBuilder().line(
        f"I'll pass this on to {pair.recipient.display_name} on {_place(pair.recipient)}, "
        f"with your name ({pair.sender.display_name}, on {_place(pair.sender)}):"
    )
    builder.line(str(data["text"]))
    builder.buttons(Button("Send it", "relaysend", str(draft.id)), Button("Cancel", "relaydrop", str(draft.id)))
    ctx.reply(builder.build())


RELAY_FORM = Form("relay", (Field("text", PROMPT, _parse_text),), _draft)


async def _mine(ctx: Context, value: str) -> Relay:
    member = ctx.require_member()
    number = small_int(value)
    relay = await ctx.session.get(Relay, number) if number is not None else None
    if relay is None or relay.sender_id != member.id:
        raise UserError("That message is no longer waiting to be sent.")
    return relay


async def send(ctx: Context, value: str) -> None:
    """The "Send it" button under a draft: the sender's consent to pass it on, exactly as shown."""
    relay = await _mine(ctx, value)
    if relay.state == RelayState.SENT:
        ctx.reply(text("Already sent."))
        return
    if relay.state != RelayState.DRAFT or relay.text is None:
        raise UserError("That message was cancelled: nothing was sent.")
    pair = await _pair(ctx, relay.group_id, relay.recipient_id)
    await _within_limit(ctx, pair)
    now = ctx.clock.now()
    zone = pair.recipient.time_zone or pair.event.time_zone
    due = outside_quiet_hours(now, zone)
    ctx.queued += await enqueue(
        ctx.session,
        [
            NewMessage(
                f"relay:{relay.id}",
                pair.recipient.platform,
                pair.recipient.platform_user_id,
                passed_on(pair, relay.text).to_dict(),
                pair.recipient.id,
                pair.event.id,
                not_before=due,
            )
        ],
        now,
    )
    relay.state, relay.text, relay.sent_at = RelayState.SENT, None, now
    reply = MessageBuilder().line(f"Sent to {pair.recipient.display_name}. Their answer will come to you here.")
    if due > now:
        local = due.astimezone(ZoneInfo(zone))
        reply.line(f"It's night where they are, so they'll get it at {local:%H:%M} their time.")
    ctx.reply(reply.build())


async def drop(ctx: Context, value: str) -> None:
    relay = await _mine(ctx, value)
    if relay.state == RelayState.SENT:
        raise UserError("That message has already been sent.")
    relay.state, relay.text = RelayState.DROPPED, None
    ctx.reply(text("Cancelled: nothing was sent."))


def passed_on(pair: Pair, message: str) -> Message:
    """What the recipient gets: who wrote, from where, the text as written, and how to answer."""
    builder = MessageBuilder().line(
        "✉️ ",
        texts.mention(pair.sender),
        f" on {_place(pair.sender)} sent you a message through me, about your introduction at {pair.event.name}:",
    )
    builder.line(message)
    builder.line("Answer with the button below and I'll pass it on.")
    builder.buttons(
        texts.relay_button(pair.group.id, pair.sender, reply=True),
        Button("Don't match me with them again", "noagain", str(pair.group.id)),
    )
    return builder.build()
