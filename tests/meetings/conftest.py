"""Meetings through the real core: an event with a poll, members who answered, intros delivered."""

from __future__ import annotations

from dataclasses import dataclass, field

import icalendar
import pytest

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, ButtonPress, Message, Sender
from tests.core.conftest import OLIVIA, create_event
from tests.fakes import RecordingPlatform, Talk, person

SLOTS = '/slots 19:00-21:00 every 15 at "Bar*2, Terrace, Table 1-8"'


@dataclass
class Room:
    """The core, a recording platform behind the real outbox, and the people."""

    core: Core
    clock: ManualClock
    talk: Talk
    code: str
    platform: RecordingPlatform = field(default_factory=RecordingPlatform)
    seen: int = 0

    async def deliver(self) -> list[tuple[str, Message]]:
        """Run the delivery worker; what it sent now, as (user id, message)."""
        await Delivery(self.core.database, {"console": self.platform}, self.clock).run_once()
        new = [(a.user_id, m) for a, m in self.platform.sent[self.seen :]]
        self.seen = len(self.platform.sent)
        return new

    def button(self, who: Sender, label: str) -> Button:
        """The button labelled ``label`` (or starting with it) on the newest delivered message that has one."""
        for address, message in reversed(self.platform.sent):
            if address.user_id != who.user_id:
                continue
            for row in message.buttons:
                for button in row:
                    if button.label.removeprefix("✅ ").startswith(label):
                        return button
        raise AssertionError(f"{who.user_id} got no button {label!r}")

    async def press(self, who: Sender, button: Button) -> str:
        actions = await self.core.handle(ButtonPress(who, button.action, button.value))
        for action in actions:
            flat = [b for row in action.message.buttons for b in row]
            if flat:
                self.talk.last_buttons[who.user_id] = flat
        return "\n".join(a.message.plain_text() for a in actions)

    async def press_delivered(self, who: Sender, label: str) -> str:
        return await self.press(who, self.button(who, label))


async def join_and_answer(talk: Talk, code: str, people: dict[str, list[str]]) -> None:
    for name, picks in people.items():
        who = person(name)
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        for label in picks:
            await talk.press(who, label)
        await talk.press(who, "Done")


@pytest.fixture
async def room(core: Core, clock: ManualClock) -> Room:
    talk = Talk(core)
    code = await create_event(talk)
    assert "3 options" in await talk.say(OLIVIA, "/poll Python, Recruiting, Hiking")
    return Room(core, clock, talk, code)


def parse_ics(content: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return event
