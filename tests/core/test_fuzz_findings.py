"""Defects the stateful fuzz (tests/core/test_state_machine.py) found, each pinned by the shortest sequence
it shrank to; each failed before its fix."""

from __future__ import annotations

from bot.core import Core
from tests.core.conftest import ALICE, OLIVIA
from tests.fakes import Talk


async def test_clearing_every_interest_after_done_is_not_an_answer(talk: Talk, core: Core, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.press(ALICE, "Choose my interests")
    await talk.press(ALICE, "Recruiting")
    await talk.press(ALICE, "Done")
    assert "Answered the poll: 1 of 1" in await talk.say(OLIVIA, "/stats")
    await talk.press(ALICE, "Recruiting")  # the older keyboard's "✅ Recruiting": clears it
    assert "Answered the poll: 0 of 1" in await talk.say(OLIVIA, "/stats")  # was: still 1, with nothing chosen
