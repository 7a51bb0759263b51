"""``icebreaker demo``: a whole event in the terminal, no tokens, a throw-away SQLite database.

The organiser sets the event up; about thirty synthetic attendees join with varied interests, roles and time
zones; then the clock is fast-forwarded through the campaign (poll, answers, intros, reminders, RSVP,
follow-up) and every message is shown as its recipient would see it (a few attendees in full, the rest
counted). It uses the same core, campaign runner, outbox and console renderer as everything else.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from adapters.console import ConsolePlatform, Shell, console_sender
from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Button, ButtonPress, Message
from storage.database import Database

INTERESTS = ["Python", "Recruiting", "Hiking", "Design", "Startups", "Data", "Coffee", "Music", "AI", "Books"]
POPULARITY = [9, 6, 4, 4, 3, 3, 3, 2, 2, 1]  # a few popular interests, a long tail
ZONES = ["Europe/Lisbon", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "Dev",
    "Eszter",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Mei",
    "Nikos",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
]
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ORGANISER = "Olivia"
SHOWN = 2  # attendees whose every message is printed
SLOTS = '/slots 19:00-21:00 every 15 at "Bar*4, Terrace, Table 1-6"'


def attendee_names(count: int) -> list[str]:
    return [FIRST[i % len(FIRST)] + (f" {i // len(FIRST) + 1}" if i >= len(FIRST) else "") for i in range(count)]


@dataclass
class DemoConsole(ConsolePlatform):
    """Prints the messages of the organiser and a few attendees in full, and counts the others'."""

    shown: set[str] = field(default_factory=set)
    folded: int = 0
    inbox: list[tuple[str, Message]] = field(default_factory=list)

    def show(self, user: str, message: Message, *, header: str | None = None, edited: bool = False) -> None:
        self.inbox.append((user, message))
        if user in self.shown:
            super().show(user, message, header=header, edited=edited)
        else:
            self.sent.append((user, message))
            flat = [b for row in message.buttons for b in row]
            if flat or edited:
                self.buttons[user] = flat
            self.folded += 1


async def run_demo(
    *, seed: int, attendees: int, database_url: str | None, out: TextIO | None = None, holdout: int = 0
) -> int:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="icebreaker-demo-") as folder:
        database = Database(database_url or f"sqlite:///{Path(folder) / 'demo.db'}")
        try:
            await database.upgrade()
            clock = ManualClock(START)
            names = attendee_names(max(2, attendees))
            console = DemoConsole(shown={ORGANISER.lower(), *(n.lower() for n in names[:SHOWN])})
            if out is not None:
                console.out = out
            core = Core(database, clock, Policy(), rng=random.Random(seed))
            demo = Demo(
                core,
                console,
                clock,
                rng,
                names,
                Delivery(database, {console.name: console}, clock),
                CampaignRunner(database, clock, Policy()),
                holdout,
            )
            await demo.play()
        finally:
            await database.dispose()
    return 0


@dataclass
class Demo:
    core: Core
    console: DemoConsole
    clock: ManualClock
    rng: random.Random
    names: list[str]
    delivery: Delivery
    campaign: CampaignRunner
    holdout: int = 0  # percent held out (0: none); with a holdout, introductions make attendees come more often
    introduced: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.shell = Shell(self.core, self.delivery, self.console, user=ORGANISER)

    def say_out(self, text: str) -> None:
        print(text, file=self.console.out)

    def banner(self, title: str) -> None:
        self.say_out(f"\n━━━ {self.clock.now():%a %d %b %H:%M} UTC — {title} ━━━")

    async def act(self, user: str, line: str) -> None:
        self.shell.user = user
        if user.lower() in self.console.shown:
            self.say_out(f"\n{user}> {line}")
        await self.shell.step(line)

    async def press(self, user: str, button: Button) -> None:
        if user.lower() in self.console.shown:
            self.say_out(f"\n{user}> [presses {button.label}]")
        actions = await self.core.handle(ButtonPress(console_sender(user), button.action, button.value))
        self.shell.show(user.lower(), actions)
        await self.delivery.run_once()

    async def play(self) -> None:
        self.banner("The organiser sets up the event")
        await self.act(ORGANISER, '/newevent "Tech Mixer Lisbon" 2026-12-10 18:30 Europe/Lisbon')
        await self.act(ORGANISER, "/poll " + ", ".join(INTERESTS))
        if self.holdout:
            await self.act(ORGANISER, f"/rules holdout {self.holdout}")
        await self.act(ORGANISER, SLOTS)
        code = self.join_code()
        self.banner(f"{len(self.names)} attendees join with code {code}")
        spread = min(1.0, 30 / len(self.names))  # a big crowd joins faster: everyone is in before the campaign
        for index, name in enumerate(self.names):
            self.clock.advance(timedelta(minutes=self.rng.randint(20, 240) * spread))
            await self.act(name, f"/join {code}")
            await self.act(name, f"/timezone {ZONES[index % len(ZONES)]}")
            await self.act(name, "/role " + ("recruiter" if index % 4 == 0 else "candidate"))
        self.say_out(f"\n   (… the other attendees did the same: {self.console.folded} messages folded so far)")
        await self.fast_forward(until=datetime(2026, 12, 10, 17, 0, tzinfo=UTC))
        self.banner("The organiser looks at the meeting grid")
        await self.act(ORGANISER, "/meetings")
        # During the event, five minutes at a time: reminders come ten minutes before each meeting.
        await self.fast_forward(until=datetime(2026, 12, 10, 21, 30, tzinfo=UTC), step=timedelta(minutes=5))
        await self.fast_forward(until=datetime(2026, 12, 12, 12, 0, tzinfo=UTC))
        self.banner("The organiser checks the numbers")
        await self.act(ORGANISER, "/stats")

    async def fast_forward(self, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
        """Move the clock a step at a time; the campaign fires, attendees answer what they receive."""
        every = "an hour" if step == timedelta(hours=1) else f"{step.seconds // 60} minutes"
        self.banner(f"Fast-forwarding through the campaign ({every} at a time)")
        while self.clock.now() < until:
            self.clock.advance(step)
            for outcome in await self.campaign.run_due():
                self.banner(f"Campaign step {outcome}")
            await self.delivery.run_once()
            await self.answer_inbox()

    async def answer_inbox(self) -> None:
        """What a typical attendee does with each message they get (answers are random but seeded)."""
        pending, self.console.inbox = self.console.inbox, []
        for user, message in pending:
            name = next((n for n in self.names if n.lower() == user), None)
            buttons = [b for row in message.buttons for b in row]
            actions = {b.action: b for b in buttons}
            if name is None or not actions:
                continue
            if "hi" in actions:
                self.introduced.add(name)
            if "meet" in actions and self.rng.random() < 0.6:
                await self.propose_times(name, actions["meet"])
            if "mok" in actions:
                await self.press(name, actions["mok"])  # the first time offered
            elif "interests" in actions:
                await self.press(name, actions["interests"])
                await self.pick_interests(name)
            elif "hi" in actions and self.rng.random() < 0.7:
                await self.press(name, actions["hi"])
            elif "rsvp" in actions:
                await self.press(
                    name, buttons[0] if self.rng.random() < self.chance(name, 0.85, 0.92, 0.78) else buttons[1]
                )
            elif "attended" in actions:
                await self.press(
                    name, buttons[0] if self.rng.random() < self.chance(name, 0.9, 0.92, 0.75) else buttons[1]
                )
            elif "metnew" in actions:
                await self.press(
                    name, buttons[0] if self.rng.random() < self.chance(name, 0.5, 0.7, 0.3) else buttons[1]
                )
            elif "met" in actions and self.rng.random() < 0.8:
                await self.press(name, buttons[0] if self.rng.random() < 0.75 else buttons[1])
            elif "rate" in actions:
                await self.press(name, buttons[self.rng.choice([2, 3, 3, 4, 4, 4])])

    def chance(self, name: str, usual: float, introduced: float, not_introduced: float) -> float:
        """How likely an attendee says yes. With a holdout the demo plants an effect: people who got an
        introduction reply "coming" and "I was there" more often, so the organiser's /stats can show it."""
        if not self.holdout:
            return usual
        return introduced if name in self.introduced else not_introduced

    async def pick_interests(self, name: str) -> None:
        chosen = set()
        while len(chosen) < self.rng.randint(1, 3):
            chosen.add(self.rng.choices(INTERESTS, weights=POPULARITY)[0])
        for label in sorted(chosen, key=INTERESTS.index):
            button = next(b for b in self.console.buttons[name.lower()] if b.label.removeprefix("✅ ") == label)
            if not button.label.startswith("✅"):
                await self.press(name, button)
        done = next(b for b in self.console.buttons[name.lower()] if b.action == "picked")
        await self.press(name, done)

    async def propose_times(self, name: str, meet: Button) -> None:
        """Press "Pick a time to meet", choose two of the free times, then send the proposal."""
        await self.press(name, meet)
        times = [b for b in self.console.buttons.get(name.lower(), []) if b.action == "mtime"]
        for button in sorted(self.rng.sample(times, min(2, len(times))), key=times.index):
            await self.press(name, button)
        send = next((b for b in self.console.buttons.get(name.lower(), []) if b.action == "msend"), None)
        if send is not None:
            await self.press(name, send)

    def join_code(self) -> str:
        for recipient, message in reversed(self.console.sent):
            if recipient == ORGANISER.lower():
                for line in message.lines:
                    text = "".join(getattr(piece, "text", "") for piece in line)
                    if text.startswith("Join code: "):
                        return text.removeprefix("Join code: ")
        raise RuntimeError("no join code was shown to the organiser")
