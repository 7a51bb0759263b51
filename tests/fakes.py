"""Test doubles for the platform side only (never for our own code): a recording platform and a chat driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from bot.core import Core
from bot.errors import DeliveryError
from bot.messages import Action, Address, Button, ButtonPress, Command, FreeText, Message, Sender
from bot.port import Delivered


@dataclass
class RecordingPlatform:
    """A platform that records what it is asked to send; ``failures`` maps a user id to errors to raise."""

    platform: str = "console"
    group_dm: bool = False
    sent: list[tuple[Address, Message]] = field(default_factory=list)
    edits: list[tuple[Delivered, Message]] = field(default_factory=list)
    failures: dict[str, list[DeliveryError]] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))

    @property
    def name(self) -> str:
        return self.platform

    @property
    def supports_group_dm(self) -> bool:
        return self.group_dm

    async def send(self, address: Address, message: Message) -> Delivered:
        queued = self.failures.get(address.user_id)
        if queued:
            raise queued.pop(0)
        self.sent.append((address, message))
        return Delivered(self.platform, address.user_id, str(next(self._ids)))

    async def edit(self, delivered: Delivered, message: Message) -> None:
        self.edits.append((delivered, message))

    def texts_to(self, user_id: str) -> list[str]:
        return [m.plain_text() for a, m in self.sent if a.user_id == user_id]


def person(name: str, platform: str = "console") -> Sender:
    return Sender(platform, name.lower(), name, handle=name.lower())


@dataclass
class Talk:
    """Drives the core as people would: commands, button presses by label, free text."""

    core: Core
    last_buttons: dict[str, list[Button]] = field(default_factory=dict)
    history: list[tuple[str, list[Action]]] = field(default_factory=list)

    async def _handle(self, who: Sender, incoming: Command | ButtonPress | FreeText) -> str:
        actions = await self.core.handle(incoming)
        self.history.append((who.user_id, actions))
        for action in actions:
            flat = [b for row in action.message.buttons for b in row]
            if flat:
                self.last_buttons[who.user_id] = flat
        return "\n".join(action.message.plain_text() for action in actions)

    async def say(self, who: Sender, line: str) -> str:
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            return await self._handle(who, Command(who, name, args))
        return await self._handle(who, FreeText(who, line))

    async def press(self, who: Sender, label: str) -> str:
        for button in self.last_buttons.get(who.user_id, []):
            if button.label.removeprefix("✅ ") == label:
                return await self._handle(who, ButtonPress(who, button.action, button.value))
        raise AssertionError(f"{who.user_id} has no button {label!r}: {self.last_buttons.get(who.user_id)}")

    async def press_button(self, who: Sender, button: Button) -> str:
        """Press a button kept from an earlier message (a stale one, or someone else's)."""
        return await self._handle(who, ButtonPress(who, button.action, button.value))

    async def match_now(self, who: Sender) -> str:
        """``/match now``, and Yes when it asks first (a round went out already, or the campaign's intros are
        still to come); returns everything said, the question included."""
        said = await self.say(who, "/match now")
        yes = [b for b in self.last_buttons.get(who.user_id, []) if b.label.startswith("Yes, send round")]
        if "Send round" not in said or not yes:
            return said
        return said + "\n" + await self._handle(who, ButtonPress(who, yes[0].action, yes[0].value))

    def button(self, who: Sender, label: str) -> Button:
        for button in self.last_buttons.get(who.user_id, []):
            if button.label.removeprefix("✅ ") == label:
                return button
        raise AssertionError(f"no button {label!r}")

    def last_message(self, who: Sender) -> Message:
        for user, actions in reversed(self.history):
            if user == who.user_id and actions:
                return actions[-1].message
        raise AssertionError("nothing said to " + who.user_id)


async def send_broadcast(core: Core, who: Sender, args: str) -> list[Action]:
    """``/broadcast ARGS`` and then its preview's Send, as an organiser does; returns what Send answered."""
    actions = await core.handle(Command(who, "broadcast", args))
    buttons = [b for action in actions for row in action.message.buttons for b in row if b.label == "Send"]
    assert buttons, [a.message.plain_text() for a in actions]
    return await core.handle(ButtonPress(who, buttons[0].action, buttons[0].value))


async def snapshot(database: object) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to prove that a refused command changed nothing."""
    from sqlalchemy import select

    from storage.database import Database
    from storage.models import Base

    assert isinstance(database, Database)
    tables: dict[str, list[tuple[object, ...]]] = {}
    async with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables
