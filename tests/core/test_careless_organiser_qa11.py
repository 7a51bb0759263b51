"""A careless organiser's slips found in the shell (issue 11, qa11): each refusal says what is accepted and
changes nothing. Each test failed before its fix."""

from __future__ import annotations

from bot.core import Core
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, snapshot


async def test_a_broadcast_to_a_misspelt_interest_names_the_polls_options(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"]})
    before = await snapshot(core.database)
    refused = await talk.say(OLIVIA, "/broadcast to interest:Hikking Boots on!")
    # was: "HR Tweetup London has no interest called “Hikking”." and nothing more
    assert "HR Tweetup London has no interest called “Hikking”." in refused
    assert "Its poll's options: Python, Recruiting, Hiking. Nothing was sent." in refused
    assert await snapshot(core.database) == before
