"""Routes an incoming event to its handler. Registration is explicit: no decorators, no global registry."""

from __future__ import annotations

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

    async def dispatch(self, ctx: Context, incoming: Incoming) -> None:
        if isinstance(incoming, Command):
            name = incoming.name.lower().lstrip("/")
            spec = self.commands.get(name)
            if spec is None:
                raise UserError(f"I don't know the command “{name[:30]}”. Send /help to see what I can do.")
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
