from __future__ import annotations

import re

import pytest

from bot.core import Core
from tests.fakes import Talk, person

OLIVIA = person("Olivia")
ALICE = person("Alice")
BOB = person("Bob")


@pytest.fixture
def talk(core: Core) -> Talk:
    return Talk(core)


async def create_event(talk: Talk, who=OLIVIA, name: str = "HR Tweetup London") -> str:
    reply = await talk.say(who, f'/newevent "{name}" 2026-12-10 18:30 Europe/London')
    match = re.search(r"Join code: (\w+)", reply)
    assert match, reply
    return match.group(1)


@pytest.fixture
async def code(talk: Talk) -> str:
    """An event with a poll, created by Olivia."""
    join_code = await create_event(talk)
    assert "3 options" in await talk.say(OLIVIA, "/poll Python, Recruiting, Hiking")
    return join_code
