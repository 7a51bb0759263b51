"""The terminal platform: renders messages as plain text and buttons as numbered choices.

``icebreaker shell`` uses it to let one person play several users (``/as alice``); the demo uses it to show
each message as its recipient would see it. Same core, same database as every other adapter.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from itertools import count
from typing import TextIO

from bot.campaign.runner import CampaignRunner
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import (
    Action,
    Address,
    Button,
    ButtonPress,
    Command,
    EditOrigin,
    FreeText,
    Incoming,
    Mention,
    Message,
    Run,
    Sender,
    Style,
)
from bot.port import Delivered

PLATFORM = "console"
BOLD, ITALIC, RESET = "\x1b[1m", "\x1b[3m", "\x1b[0m"


def render(message: Message, *, ansi: bool = False) -> list[str]:
    """The message as terminal lines. Text is printed as it is: nothing in it is interpreted."""
    lines = []
    for line in message.lines:
        pieces = []
        for piece in line:
            if isinstance(piece, Mention):
                pieces.append(piece.display_name + (f" (@{piece.handle})" if piece.handle else ""))
            elif isinstance(piece, Run) and ansi and piece.style in (Style.BOLD, Style.ITALIC):
                pieces.append((BOLD if piece.style == Style.BOLD else ITALIC) + _printable(piece.text) + RESET)
            else:
                pieces.append(_printable(piece.text))
        lines.append("".join(pieces))
    number = count(1)
    for row in message.buttons:
        lines.append("   ".join(f"[{next(number)}] {button.label}" for button in row))
    shown = message.plain_text()
    for attachment in message.attachments:
        # A caption that is the message's text (a calendar file) was printed just above: not twice.
        caption = f": {_printable(attachment.caption)}" if attachment.caption and attachment.caption != shown else ""
        lines.append(
            f"📎 {_printable(attachment.filename)} ({attachment.content_type}, {_size(len(attachment.data))}){caption}"
        )
    return lines


def _size(length: int) -> str:
    return f"{length} bytes" if length < 1000 else f"{length / 1000:.1f} kB"


def _printable(value: str) -> str:
    """Drop control characters so a name cannot move the cursor or recolour the terminal."""
    return "".join(ch for ch in value if ch == "\n" or ch.isprintable())


@dataclass
class ConsolePlatform:
    """Prints messages for console users and remembers each user's last buttons."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    ansi: bool = False
    buttons: dict[str, list[Button]] = field(default_factory=dict)
    sent: list[tuple[str, Message]] = field(default_factory=list)
    _ids: count[int] = field(default_factory=lambda: count(1))

    @property
    def name(self) -> str:
        return PLATFORM

    @property
    def supports_group_dm(self) -> bool:
        return False

    async def send(self, address: Address, message: Message) -> Delivered:
        self.show(address.user_id, message, header=f"✉  to {address.user_id}")
        return Delivered(PLATFORM, address.user_id, str(next(self._ids)))

    async def edit(self, delivered: Delivered, message: Message) -> None:
        self.show(delivered.chat_id, message, header=f"✎  (updated) to {delivered.chat_id}", edited=True)

    def show(self, user: str, message: Message, *, header: str | None = None, edited: bool = False) -> None:
        self.sent.append((user, message))
        # A number presses a button of the user's last message with buttons (a calendar file or a reminder after
        # it leaves them pressable, as a chat app keeps them above). An edit replaces that message, so an edit
        # without buttons (a poll after Done) leaves nothing to press: a number never acts on a closed message.
        flat = [b for row in message.buttons for b in row]
        if flat or edited:
            self.buttons[user] = flat
        if header:
            print(header, file=self.out)
        for line in render(message, ansi=self.ansi):
            for part in line.split("\n"):
                print("   " + part, file=self.out)
        self.out.flush()

    def press(self, user: str, number: int) -> Button | None:
        choices = self.buttons.get(user, [])
        return choices[number - 1] if 1 <= number <= len(choices) else None


PROMPT_NAME_LIMIT = 40  # characters of the user's name in the prompt; a long name would fill the terminal


def prompt_name(name: str) -> str:
    return name if len(name) <= PROMPT_NAME_LIMIT else name[: PROMPT_NAME_LIMIT - 1] + "…"


def console_sender(name: str) -> Sender:
    clean = "".join(ch for ch in name.strip() if ch.isprintable())[:5000]
    user_id = clean.lower()[:64]  # the platform's id: as long as a platform id may be
    return Sender(PLATFORM, user_id, clean, handle=user_id)


@dataclass
class Shell:
    """The line-by-line loop of ``icebreaker shell``: parse, hand to the core, show the answer, deliver."""

    core: Core
    delivery: Delivery
    console: ConsolePlatform
    user: str = "organiser"
    echo: bool = False
    campaign: CampaignRunner | None = None

    def parse(self, line: str) -> Incoming | str | None:
        """An incoming event for the core, a string for a shell-only answer, or None to ignore."""
        line = line.strip()
        if not line:
            return None
        sender = console_sender(self.user)
        if line == "/as" or line.startswith("/as "):
            name = line[3:].strip()
            if not name:
                return "Say who to be: /as alice"
            if not console_sender(name).user_id:  # only invisible characters: no one a person could tell apart
                return "Say who to be with a name I can see, e.g. /as alice."
            self.user = console_sender(name).display_name
            return f"You are now {self.user}."
        if line.isascii() and line.isdigit() and len(line) < 4:
            button = self.console.press(sender.user_id, int(line))
            if button is None:
                return f"There is no button {line} on your last message with buttons."
            return ButtonPress(sender, button.action, button.value)
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            return Command(sender, name, args)
        return FreeText(sender, line)

    async def step(self, line: str) -> None:
        parsed = self.parse(line)
        if parsed is None:
            return
        if isinstance(parsed, str):
            print(f"   {parsed}", file=self.console.out)
            return
        actions = await self.core.handle(parsed)
        self.show(parsed.sender.user_id, actions)
        if self.campaign is not None:
            await self.campaign.run_due()
        await self.delivery.run_once()

    def show(self, user_id: str, actions: list[Action]) -> None:
        for action in actions:
            edited = isinstance(action, EditOrigin)
            self.console.show(user_id, action.message, header="✎  (updated)" if edited else None, edited=edited)
        if actions and not any(action.message.buttons for action in actions):
            # The bot's answer to what the user just did has no buttons (a refusal, say): a number must not
            # reach back past it to an older message, such as a round's preview and its Send.
            self.console.buttons[user_id] = []

    async def run(self, stream: TextIO) -> None:
        print(
            "Icebreaker shell. /help for commands, /as NAME to switch user, a number presses a button, /quit to leave.",
            file=self.console.out,
        )
        loop = asyncio.get_running_loop()
        while True:
            print(f"{prompt_name(self.user)}> ", end="", file=self.console.out, flush=True)
            line = await loop.run_in_executor(None, stream.readline)
            if not line or line.strip() in ("/quit", "/exit"):
                print(file=self.console.out)
                return
            if self.echo:
                print(line.rstrip("\n"), file=self.console.out)
            await self.step(line)
