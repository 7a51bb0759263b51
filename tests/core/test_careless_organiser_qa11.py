"""A careless organiser's slips found in the shell (issue 11, qa11): each refusal says what is accepted and
changes nothing. Each test failed before its fix."""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, person, snapshot


async def test_a_broadcast_to_a_misspelt_interest_names_the_polls_options(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"]})
    before = await snapshot(core.database)
    refused = await talk.say(OLIVIA, "/broadcast to interest:Hikking Boots on!")
    # was: "HR Tweetup London has no interest called “Hikking”." and nothing more
    assert "HR Tweetup London has no interest called “Hikking”." in refused
    assert "Its poll's options: Python, Recruiting, Hiking. Nothing was sent." in refused
    assert await snapshot(core.database) == before


async def test_schedule_edits_read_strictly_and_say_why(talk: Talk, core: Core, code: str) -> None:
    before = await snapshot(core.database)
    # was: "No step called “Intros”"
    assert "No step called" not in await talk.say(OLIVIA, "/schedule move Intros -6 09:00")
    moved = await snapshot(core.database)
    assert moved != before
    # was: the intros turned off, the reminder left on, silently
    refused = await talk.say(OLIVIA, "/schedule off intros reminder")
    assert "Turn one step off at a time, e.g. /schedule off intros. Nothing was changed." in refused
    # was: the general usage line, not saying that the lookout counts hours before the start
    refused = await talk.say(OLIVIA, "/schedule move lookout -1 16:00")
    assert "The lookout step is 2 hours before the start and moves with the event" in refused
    # was: the general usage line, not saying which numbers of days are accepted
    refused = await talk.say(OLIVIA, "/schedule move reminder 400 10:00")
    assert "“400” is not a number of days I can use: give -60 to 60" in refused
    assert await snapshot(core.database) == moved


async def test_an_unknown_command_suggests_the_one_it_is_a_slip_for(talk: Talk, code: str) -> None:
    # was: "I don't know the command “brodcast”. Send /help …", and “” for a bare slash
    assert "Did you mean /broadcast?" in await talk.say(OLIVIA, "/brodcast Doors open at 18:00")
    assert "Did you mean /schedule?" in await talk.say(OLIVIA, "/shedule")
    assert "Did you mean" not in await talk.say(OLIVIA, "/frobnicate")
    assert await talk.say(OLIVIA, "/") == "Write a command after the slash, e.g. /help to see what I can do."


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        # was: a preview of the text "at tomorow 9am Drinks…" to everyone, now
        ("/broadcast at tomorow 9am Drinks first!", "“tomorow” is not a date I can read."),
        ("/broadcast to answered at tmrw 18:00 Drinks first!", "“tmrw” is not a date I can read."),
        # was: scheduled for the first time, with "at 2026-11-25 10:00 Drinks first!" as the text
        ("/broadcast at 2026-11-24 10:00 at 2026-11-25 10:00 Drinks first!", "That gives two times."),
    ],
)
async def test_a_misspelt_or_doubled_broadcast_time_is_refused(
    talk: Talk, core: Core, code: str, line: str, refusal: str
) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"]})
    before = await snapshot(core.database)
    answer = await talk.say(OLIVIA, line)
    assert refusal in answer and "Nothing was sent." in answer and "Preview" not in answer
    assert await snapshot(core.database) == before


async def test_prose_after_at_is_still_a_message(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"]})
    assert "at last 10 of you signed up" in await talk.say(OLIVIA, "/broadcast at last 10 of you signed up")


async def test_forget_tells_the_only_organiser_that_their_event_loses_its_organiser(talk: Talk, code: str) -> None:
    asked = await talk.say(OLIVIA, "/forget")
    # was: only "Your profile, interests, events and introductions will be deleted": the event was left with no one
    assert "You are the only organiser of HR Tweetup London: nobody will be able to run its organiser" in asked


async def test_forget_of_a_member_does_not_speak_of_organising(talk: Talk, code: str) -> None:
    await talk.say(person("Alice"), f"/join {code}")
    assert "only organiser" not in await talk.say(person("Alice"), "/forget")


async def test_a_message_read_as_a_time_says_how_to_send_it(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"]})
    refused = await talk.say(OLIVIA, "/broadcast At 6pm the doors open")
    # was: only "“6pm” is not a date I can read…", with no way named to send a message that starts so
    assert "A message sent now cannot start with “at” and a time" in refused and "Nothing was sent." in refused


async def test_the_intros_cannot_be_moved_after_the_steps_that_ask_about_them(
    talk: Talk, core: Core, code: str
) -> None:
    before = await snapshot(core.database)
    refused = await talk.say(OLIVIA, "/schedule move intros -2 09:00")  # was: moved after "Have you said hi?"
    assert "That would put the intros step after the say_hi step (Mon 07 Dec 10:00)" in refused
    assert "“Have you said hi?” would come before anyone was introduced." in refused
    refused = await talk.say(OLIVIA, "/schedule move say_hi -8 10:00")
    assert "That would put the say_hi step before the intros step (Thu 03 Dec 10:00)" in refused
    assert await snapshot(core.database) == before
    assert "Fri 04 Dec 10:00" in await talk.say(OLIVIA, "/schedule move intros -6 10:00")  # still before both
