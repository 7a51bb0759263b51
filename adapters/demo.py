"""``icebreaker demo``: a whole simulated event in the terminal, with no tokens and a throw-away database.

It plays the organiser and every attendee through the same core and console platform as ``icebreaker shell``,
so what it prints is exactly what each recipient would see.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.console import ConsolePlatform, Shell
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.database import Database

INTERESTS = ["Python", "Recruiting", "Hiking", "Design", "Startups", "Data", "Coffee", "Music"]
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


def attendee_names(count: int, rng: random.Random) -> list[str]:
    names = []
    for index in range(count):
        base = FIRST[index % len(FIRST)]
        names.append(base if index < len(FIRST) else f"{base} {index // len(FIRST) + 1}")
    rng.shuffle(names)
    return names


async def run_demo(*, seed: int, attendees: int, database_url: str | None) -> int:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="icebreaker-demo-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        database = Database(url)
        try:
            await database.upgrade()
            clock = ManualClock(START)
            console = ConsolePlatform()
            delivery = Delivery(database, {console.name: console}, clock)
            core = Core(database, clock, Policy(), rng=random.Random(seed))
            shell = Shell(core, delivery, console, user="Olivia (organiser)")
            await _play(shell, console, clock, rng, max(2, attendees))
        finally:
            await database.dispose()
    return 0


async def _say(shell: Shell, user: str, line: str) -> None:
    shell.user = user
    print(f"\n{user}> {line}", file=shell.console.out)
    await shell.step(line)


async def _press(shell: Shell, user: str, label: str) -> None:
    """Press the button with this label (ignoring a ✅ mark) on the user's last message."""
    shell.user = user
    choices = shell.console.buttons.get(user.lower(), [])
    for number, button in enumerate(choices, start=1):
        if button.label.removeprefix("✅ ") == label:
            print(f"\n{user}> [presses {label}]", file=shell.console.out)
            await shell.step(str(number))
            return
    raise RuntimeError(f"{user} has no button {label!r}")


def _banner(shell: Shell, clock: ManualClock, title: str) -> None:
    print(f"\n━━━ {clock.now():%a %d %b %H:%M} UTC — {title} ━━━", file=shell.console.out)


async def _play(shell: Shell, console: ConsolePlatform, clock: ManualClock, rng: random.Random, count: int) -> None:
    organiser = "Olivia (organiser)"
    _banner(shell, clock, "The organiser sets up the event")
    await _say(shell, organiser, '/newevent "Tech Mixer Lisbon" 2026-12-10 18:30 Europe/Lisbon')
    await _say(shell, organiser, "/poll " + ", ".join(INTERESTS))
    code = _join_code(console, organiser.lower())
    names = attendee_names(count, rng)
    _banner(shell, clock, f"{count} attendees join with code {code} and answer the poll")
    for index, name in enumerate(names):
        clock.advance(timedelta(minutes=rng.randint(5, 90)))
        verbose = index < 2
        if not verbose:
            shell.console.out, muted = _Mute(), shell.console.out
        await _say(shell, name, f"/join {code}")
        await _press(shell, name, "Choose my interests")
        for label in rng.sample(INTERESTS, rng.randint(1, 3)):
            await _press(shell, name, label)
        await _press(shell, name, "Done")
        if not verbose:
            shell.console.out = muted
    print(f"\n   … and {count - 2} more attendees did the same (output folded).", file=shell.console.out)
    _banner(shell, clock, "An attendee takes a break")
    await _say(shell, names[-1], "/pause 2")
    clock.advance(timedelta(days=2))
    _banner(shell, clock, "The organiser broadcasts and checks the numbers")
    await _say(shell, organiser, "/broadcast Doors open at 18:00. Name badges at the entrance!")
    await _say(shell, organiser, "/stats")


def _join_code(console: ConsolePlatform, user: str) -> str:
    for recipient, message in reversed(console.sent):
        if recipient == user:
            for line in message.lines:
                text = "".join(getattr(piece, "text", "") for piece in line)
                if text.startswith("Join code: "):
                    return text.removeprefix("Join code: ")
    raise RuntimeError("no join code was shown to the organiser")


class _Mute:
    """A stream that drops what is written: used to fold repetitive parts of the demo."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None
