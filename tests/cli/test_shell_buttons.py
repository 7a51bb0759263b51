"""What a number means in the shell: a button of the user's last message with buttons, never of a closed one."""

from __future__ import annotations

import re

from sqlalchemy import select

from adapters.console import prompt_name
from bot.clock import ManualClock
from storage.database import Database
from storage.models import InterestOption, MemberInterest
from tests.cli.harness import ShellRun


async def test_a_number_after_done_does_not_reopen_the_poll(sqlite_database: Database, clock: ManualClock) -> None:
    lines = ShellRun.start(sqlite_database, clock).lines

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


async def test_a_number_after_a_refusal_does_not_press_an_older_message(
    sqlite_database: Database, clock: ManualClock
) -> None:
    lines = ShellRun.start(sqlite_database, clock).lines
    created = await lines('/newevent "Mixer" 2026-12-10 18:30 Europe/London', "/poll Python, Hiking")
    code = re.search(r"Join code: (\w+)", created)
    assert code
    await lines("/as Alice", f"/join {code[1]}")
    assert "[1] Python" in await lines("1")  # the poll, with its buttons
    refused = await lines("/join NOSUCHCODE")  # a refusal: no buttons
    assert "[1]" not in refused
    assert "There is no button 1 on your last message with buttons." in await lines("1")
    async with sqlite_database.transaction() as session:
        assert (await session.scalars(select(MemberInterest))).all() == []  # Python was not toggled on


async def test_an_invisible_name_in_as_is_refused(sqlite_database: Database, clock: ManualClock) -> None:
    run = ShellRun.start(sqlite_database, clock)
    refused = await run.lines("/as \u200b\u200b")  # was: "You are now ." and a user whose id is empty
    assert "Say who to be with a name I can see, e.g. /as alice." in refused
    assert "You are now" not in refused
    assert run.shell.user == "Olivia"  # still who they were
