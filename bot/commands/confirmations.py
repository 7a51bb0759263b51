"""Consequential actions (an organiser's, or a member's own, like leaving) ask first: the question says what
will change, and its Yes acts on exactly what it showed, once. A newer question of the same kind makes older
ones out of date; so does a change of the facts it showed (the handler checks them again and asks anew)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import update

from bot import parsing
from bot.context import Context
from bot.errors import UserError
from bot.messages import Button, MessageBuilder, text
from storage.models import Confirmation, Event

ACTION = "confirm"
YES, NO = "yes", "no"
OWN_CHOICES = frozenset({"leave"})  # what members confirm about themselves: no organiser needed
OUT_OF_DATE = "That question is out of date, so nothing was changed. Send the command again."

# Acts on a confirmed payload; may raise UserError (nothing changes) or ask again.
Confirmed = Callable[[Context, Event, dict[str, Any], int], Awaitable[None]]


async def ask(
    ctx: Context,
    event: Event,
    kind: str,
    payload: dict[str, Any],
    question: MessageBuilder,
    yes: str,
    no: str = "No, keep it as it is",
) -> None:
    member = ctx.require_member()
    now = ctx.clock.now()
    await ctx.session.execute(
        update(Confirmation)
        .where(Confirmation.member_id == member.id, Confirmation.kind == kind, Confirmation.answered_at.is_(None))
        .values(answered_at=now, outcome="replaced")
    )
    row = Confirmation(member_id=member.id, event_id=event.id, kind=kind, payload=payload, created_at=now)
    ctx.session.add(row)
    await ctx.session.flush()
    question.buttons(Button(yes, ACTION, f"{row.id}.{YES}"), Button(no, ACTION, f"{row.id}.{NO}"))
    ctx.reply(question.build())


async def answer(handlers: Mapping[str, Confirmed], ctx: Context, value: str) -> None:
    number_text, _, choice = value.partition(".")
    number = parsing.small_int(number_text)
    member = ctx.require_member()
    row = await ctx.session.get(Confirmation, number, with_for_update=True) if number is not None else None
    if row is None or row.member_id != member.id or choice not in (YES, NO) or row.kind not in handlers:
        raise UserError(OUT_OF_DATE)
    if row.answered_at is not None:
        if row.outcome == YES:
            raise UserError("Already done; pressing again changes nothing.")
        raise UserError(OUT_OF_DATE)
    row.answered_at, row.outcome = ctx.clock.now(), choice
    if choice == NO:
        ctx.edit(text("OK: nothing was changed."))
        return
    event = await ctx.session.get(Event, row.event_id)
    if event is None:
        raise UserError(OUT_OF_DATE)
    if row.kind not in OWN_CHOICES:
        await ctx.require_organiser(event)
    await handlers[row.kind](ctx, event, dict(row.payload), row.id)
