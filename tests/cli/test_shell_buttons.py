"""What a number means in the shell: a button of the user's last message with buttons, never of a closed one."""

from __future__ import annotations

import io
import random
import re

from sqlalchemy import select

from adapters.console import ConsolePlatform, Shell, prompt_name
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.database import Database
from storage.models import InterestOption, MemberInterest


async def test_a_number_after_done_does_not_reopen_the_poll(sqlite_database: Database, clock: ManualClock) -> None:
    out = io.StringIO()
    console = ConsolePlatform(out=out)
    delivery = Delivery(sqlite_database, {"console": console}, clock)
    shell = Shell(Core(sqlite_database, clock, Policy(), rng=random.Random(3)), delivery, console, user="Olivia")

    async def lines(*script: str) -> str:
        start = out.tell()
        for line in script:
            await shell.step(line)
        return out.getvalue()[start:]

    created = await lines('/newevent "Mixer" 2026-12-10 18:30 Europe/London', "/poll Python, Hiking")
    code = re.search(r"Join code: (\w+)", created)
    assert code
    assert "[1] Choose my interests" in await lines("/as Alice", f"/join {code[1]}")
    poll = await lines("1")
    assert "[1] Python   [2] Hiking" in poll and "[3] Done" in poll, poll
    await lines("1")  # Python
    done = await lines("3")  # Done
    assert "Saved: Python." in done
    after = await lines("1")  # the poll is closed: this must not toggle Python off
    assert "There is no button 1 on your last message with buttons." in after
    async with sqlite_database.transaction() as session:
        picked = select(InterestOption.label).join(MemberInterest, MemberInterest.option_id == InterestOption.id)
        chosen = (await session.scalars(picked)).all()
    assert chosen == ["Python"]


def test_a_long_name_is_shortened_in_the_prompt_only() -> None:
    assert prompt_name("x" * 5000) == "x" * 39 + "…"
    assert prompt_name("Alice") == "Alice"
