"""The shell in-process: the real Shell, Core and Delivery on the console platform, with its output captured."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from adapters.console import ConsolePlatform, Shell
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.database import Database


@dataclass
class ShellRun:
    out: io.StringIO
    console: ConsolePlatform
    delivery: Delivery
    shell: Shell

    @classmethod
    def start(cls, database: Database, clock: ManualClock, user: str = "Olivia") -> ShellRun:
        out = io.StringIO()
        console = ConsolePlatform(out=out)
        delivery = Delivery(database, {"console": console}, clock)
        shell = Shell(Core(database, clock, Policy(), rng=random.Random(3)), delivery, console, user=user)
        return cls(out, console, delivery, shell)

    async def lines(self, *script: str) -> str:
        """What the shell printed while it took these lines."""
        start = self.out.tell()
        for line in script:
            await self.shell.step(line)
        return self.out.getvalue()[start:]
