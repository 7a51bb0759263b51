"""Routes an incoming event to its handler. Registration is explicit: no decorators, no global registry."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.context import Context
from bot.errors import UserError
from bot.messages import ButtonPress, Command, FreeText, Incoming

CommandHandler = Callable[[Context, str], Awaitable[None]]
ButtonHandler = Callable[[Context, str], Awaitable[None]]
TextHandler = Callable[[Context, str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    usage: str
    summary: str
    organiser: bool = False


@dataclass(slots=True)
class Router:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    text_handler: TextHandler | None = None
    before_command: Callable[[Context, str], Awaitable[None]] | None = None

    def command(self, spec: CommandSpec) -> None:
        self.commands[spec.name] = spec

    def button(self, action: str, handler: ButtonHandler) -> None:
        self.buttons[action] = handler

    def _unknown(self, name: str) -> str:
        """An unknown command: the one it is most likely a slip for, if any ("brodcast"), and where the list is."""
        if not name.strip():
            return "Write a command after the slash, e.g. /help to see what I can do."
        close = difflib.get_close_matches(name, list(self.commands), n=1, cutoff=0.75)
        hint = f" Did you mean /{close[0]}?" if close else ""
        return f"I don't know the command “{name[:30]}”.{hint} Send /help to see what I can do."

    async def dispatch(self, ctx: Context, incoming: Incoming) -> None:
        if isinstance(incoming, Command):
            name = incoming.name.lower().lstrip("/")
            spec = self.commands.get(name)
            if spec is None:
                raise UserError(self._unknown(name))
            if self.before_command is not None:
                await self.before_command(ctx, name)
            await spec.handler(ctx, incoming.args.strip())
        elif isinstance(incoming, ButtonPress):
            button_handler = self.buttons.get(incoming.action)
            if button_handler is None:
                raise UserError("That button is no longer active. Send /help to see what I can do.")
            await button_handler(ctx, incoming.value)
        elif isinstance(incoming, FreeText):
            handled = self.text_handler is not None and await self.text_handler(ctx, incoming.text)
            if not handled:
                raise UserError("I answer to commands. Send /help to see them.")
