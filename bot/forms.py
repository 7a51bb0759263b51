"""Guided forms: one question at a time, with the answers so far kept in the database.

A form is a list of fields, each with a prompt and a parser (which sees the answers so far). A parser's
UserError is shown and the same question asked again, so a typo never loses earlier answers, and a restart
of the process loses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.context import Context
from bot.errors import UserError
from bot.messages import MessageBuilder, italic
from storage.models import Conversation

STOP_WORDS = frozenset({"cancel", "stop", "quit", "exit"})

Parser = Callable[[Context, dict[str, Any], str], Any]
Finisher = Callable[[Context, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    prompt: str
    parse: Parser


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    fields: tuple[Field, ...]
    finish: Finisher


class Forms:
    """The forms the bot knows, and the engine that walks a member through one."""

    def __init__(self, *forms: Form) -> None:
        self._forms = {form.name: form for form in forms}

    async def start(self, ctx: Context, name: str, data: dict[str, Any] | None = None) -> None:
        """Begin the form ``name``; ``data`` is what it knows before the first question (e.g. whom it is for)."""
        member = await ctx.enrol()
        conversation = await ctx.session.get(Conversation, member.id)
        if conversation is None:
            conversation = Conversation(member_id=member.id)
            ctx.session.add(conversation)
        conversation.form, conversation.step, conversation.data = name, 0, dict(data or {})
        conversation.updated_at = ctx.clock.now()
        self._ask(ctx, self._forms[name].fields[0], first=True)

    async def cancel(self, ctx: Context) -> bool:
        """Drop the member's form in progress, if any; True when there was one."""
        if ctx.member is None:
            return False
        conversation = await ctx.session.get(Conversation, ctx.member.id)
        if conversation is None:
            return False
        await ctx.session.delete(conversation)
        return True

    async def answer(self, ctx: Context, text: str) -> bool:
        """Take free text as the answer to the current question; False when no form is in progress."""
        if ctx.member is None:
            return False
        conversation = await ctx.session.get(Conversation, ctx.member.id)
        if conversation is None or conversation.form not in self._forms:
            return False
        if text.strip().lower().strip(".!") in STOP_WORDS:  # "cancel" without the slash is not an answer
            await ctx.session.delete(conversation)
            ctx.reply(MessageBuilder().line("Cancelled: nothing was saved.").build())
            return True
        form = self._forms[conversation.form]
        field = form.fields[conversation.step]
        try:
            value = field.parse(ctx, conversation.data, text)
        except UserError as error:
            ctx.reply(MessageBuilder().line(error.message).line(italic(field.prompt)).build())
            return True
        data = {**conversation.data, field.key: value}
        if conversation.step + 1 < len(form.fields):
            conversation.step += 1
            conversation.data = data
            conversation.updated_at = ctx.clock.now()
            self._ask(ctx, form.fields[conversation.step], first=False)
            return True
        await ctx.session.delete(conversation)
        await form.finish(ctx, data)
        return True

    @staticmethod
    def _ask(ctx: Context, field: Field, *, first: bool) -> None:
        builder = MessageBuilder().line(field.prompt)
        if first:
            builder.line(italic("Send /cancel to stop."))
        ctx.reply(builder.build())
