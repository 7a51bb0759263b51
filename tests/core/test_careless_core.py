"""Careless organisers' and members' slips in the core (issue 11, second pass): each test failed before its fix."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.core import Core
from bot.messages import ButtonPress, Command, Message, Sender
from storage.members import is_visible
from storage.models import (
    CampaignStep,
    Confirmation,
    Intro,
    IntroHistory,
    OutboxMessage,
    Participant,
    Round,
    Starter,
    StepStatus,
)
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import Talk, person, snapshot

CAROL, DAN = person("Carol"), person("Dan")
FOUR = {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Recruiting"], "Dan": ["Recruiting"]}


async def _texts_to(core: Core, user: str) -> list[str]:
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.address == user))).all()
    return [Message.from_dict(r.payload).plain_text() for r in rows]


async def _count(core: Core, model: type) -> int:
    async with core.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _buttons(actions: list) -> list[str]:  # type: ignore[type-arg]
    return [b.label for a in actions for row in a.message.buttons for b in row]


# ---- 1. /match now asks when it would make the campaign's intros moot, or be another round ----------------


async def test_match_now_asks_before_making_the_campaigns_intros_moot(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    asked = await talk.say(OLIVIA, "/match now")  # was: sent at once
    assert "The campaign will send the intros on Thu 03 Dec, 10:00 (see /schedule); sending now makes that" in asked
    assert "Send round 1 now?" in asked
    assert [b.label for b in talk.last_buttons["olivia"]] == ["Yes, send round 1", "No, keep it as it is"]
    assert await _count(core, Round) == 0
    assert "nothing was changed" in await talk.press(OLIVIA, "No, keep it as it is")
    assert await _count(core, Round) == 0
    await talk.say(OLIVIA, "/match now")
    yes = talk.button(OLIVIA, "Yes, send round 1")
    assert "Round 1 of HR Tweetup London is on its way" in await talk.press(OLIVIA, "Yes, send round 1")
    assert "pressing again changes nothing" in await talk.press_button(OLIVIA, yes)
    assert await _count(core, Round) == 1


async def test_the_previews_send_button_is_the_choice_and_asks_nothing(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.say(OLIVIA, "/match")
    assert "Round 1 of HR Tweetup London is on its way" in await talk.press(OLIVIA, "Send these intros")


async def test_another_round_asks_first_and_introduces_only_new_people(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, FOUR)
    assert "Round 1 of HR Tweetup London is on its way" in await talk.match_now(OLIVIA)
    asked = await talk.say(OLIVIA, "/match now")  # was: round 2 at once
    assert "Round 1 of HR Tweetup London went out Mon 23 Nov, 09:00 to 4 members." in asked
    assert "Another round introduces everyone again, to new people" in asked and "Send round 2 now?" in asked
    assert "The campaign will send" not in asked  # that step is moot already
    stale = talk.button(OLIVIA, "Yes, send round 2")
    await talk.say(OLIVIA, "/match")
    assert "Round 2 of HR Tweetup London is on its way" in await talk.press(OLIVIA, "Send these intros")
    changed = await talk.press_button(OLIVIA, stale)  # the question showed round 1 as the last one: out of date now
    assert "Things changed since I asked." in changed and "Send round 3 now?" in changed
    assert await _count(core, Round) == 2
    assert "Round 3 of HR Tweetup London is on its way" in await talk.press(OLIVIA, "Yes, send round 3")
    async with core.database.transaction() as session:
        pairs = [
            (min(a, b), max(a, b))
            for a, b in (await session.execute(select(IntroHistory.member_a, IntroHistory.member_b))).all()
        ]
    assert len(pairs) == 6 and len(set(pairs)) == 6  # three rounds of four people: every pair once, none twice
    refused = await talk.match_now(OLIVIA)  # everyone has met everyone: was a round of the same intros again
    assert "would bring nobody new. Nothing was sent." in refused
    assert await _count(core, Round) == 3


async def test_a_member_never_gets_the_same_introduction_twice(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    assert "would bring nobody new. Nothing was sent." in await talk.match_now(OLIVIA)  # was: Bob again
    meets = [t for t in await _texts_to(core, "alice") if "Meet Bob" in t]
    assert len(meets) == 1, meets
    await _members_answer(talk, code, {"Carol": ["Python"]})  # someone new: only she makes a new group
    assert "Round 2 of HR Tweetup London is on its way" in await talk.match_now(OLIVIA)
    assert await _everyone_meets_someone_new(core) == []


async def _everyone_meets_someone_new(core: Core) -> list[tuple[int, int]]:
    """(member, group) of every introduction whose other members the member had all been introduced to before."""
    async with core.database.transaction() as session:
        rows = (
            await session.execute(
                select(Intro.round_id, Intro.group_id, Intro.member_id)
                .where(Intro.group_id.is_not(None))
                .order_by(Intro.round_id, Intro.group_id)
            )
        ).all()
    groups: dict[int, list[int]] = {}
    for _, group_id, member_id in rows:
        groups.setdefault(group_id, []).append(member_id)
    met: set[tuple[int, int]] = set()
    stale = []
    for group_id, members in groups.items():
        for member in members:
            others = [o for o in members if o != member]
            if all((min(member, o), max(member, o)) in met for o in others):
                stale.append((member, group_id))
        met |= set(itertools.combinations(sorted(members), 2))
    return stale


# ---- 2. the poll question counts current members only -----------------------------------------------------


async def test_the_poll_question_counts_only_current_members(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code, {"Alice": ["Hiking"], "Bob": ["Hiking"], "Carol": ["Hiking"]})
    await talk.say(BOB, "/leave")
    await talk.press(BOB, "Leave")
    await talk.say(CAROL, "/forget")
    await talk.press(CAROL, "Yes, erase me")
    asked = await talk.say(OLIVIA, "/poll Python, Design")
    assert "• Hiking — chosen by 1 member\n" in asked, asked  # was: 2 (Bob, who left, counted)


# ---- 3. and 4. counts in the singular, /move's steps in words ----------------------------------------------


async def test_one_pending_step_reads_in_the_singular_and_in_words(talk: Talk, core: Core, code: str) -> None:
    async with core.database.transaction() as session:
        await session.execute(
            update(CampaignStep).where(CampaignStep.key != "keep_going").values(status=StepStatus.DONE)
        )
    asked = await talk.say(OLIVIA, "/move 2026-12-12 18:00")
    assert "1 pending campaign step moves with it:\n• Keep the conversation going" in asked, asked
    assert "keep_going" not in asked
    assert "1 pending step moved with it." in await talk.press(OLIVIA, "Yes, move the event")


# ---- 5. and 6. broadcasts: an audience of nobody, and every stale button ---------------------------------


async def test_a_broadcast_to_nobody_offers_no_send(talk: Talk, core: Core, code: str) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    before = await snapshot(core.database)
    actions = await core.handle(Command(OLIVIA, "broadcast", "to rsvp-no Sorry to miss you"))
    shown = actions[0].message.plain_text()
    assert "Nobody is in “rsvp-no” of HR Tweetup London right now, so there is nothing to send." in shown
    assert "Audiences with people in them: all (2), unanswered (2), rsvp-unknown (2)." in shown
    assert _buttons(actions) == []  # was: Send, Edit, Cancel for 0 people
    assert await snapshot(core.database) == before


async def test_an_old_send_of_a_preview_whose_audience_emptied_changes_nothing(
    talk: Talk, core: Core, code: str
) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    assert "(2 people)" in await talk.say(OLIVIA, "/broadcast to rsvp-unknown Are you coming?")
    send = talk.button(OLIVIA, "Send")
    async with core.database.transaction() as session:
        event_id = await session.scalar(select(Participant.event_id))
    for who in (ALICE, BOB):
        await core.handle(ButtonPress(who, "rsvp", f"{event_id}.yes"))
    before = await snapshot(core.database)
    answer = await core.handle(ButtonPress(OLIVIA, send.action, send.value))
    assert "Nobody is in “rsvp-unknown”" in answer[0].message.plain_text()  # was: a new preview with Send
    assert _buttons(answer) == []
    assert await snapshot(core.database) == before


async def _preview(talk: Talk, line: str) -> dict[str, object]:
    await talk.say(OLIVIA, line)
    return {label: talk.button(OLIVIA, label) for label in ("Send", "Edit", "Cancel")}


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("cancelled", "You cancelled that broadcast, so nothing was sent"),
        ("edited", "You chose Edit on that preview, so nothing was sent from it"),
        ("replaced", "That preview is out of date (a newer one replaced it). Nothing was sent."),
        ("sent", "That broadcast has already gone ahead; pressing again does nothing more."),
        ("scheduled", "That broadcast is already scheduled for Sat 05 Dec 09:00; pressing again changes nothing."),
        ("unscheduled", "That broadcast was cancelled before it went out, so nothing was sent"),
    ],
)
async def test_every_stale_preview_button_says_what_became_of_the_broadcast(
    talk: Talk, core: Core, code: str, how: str, expected: str
) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    when = "at 2026-12-05 09:00 " if how in ("scheduled", "unscheduled") else ""
    buttons = await _preview(talk, f"/broadcast {when}Doors open at 18:00")
    if how == "cancelled":
        await talk.press(OLIVIA, "Cancel")
    elif how == "edited":
        await talk.press(OLIVIA, "Edit")
    elif how == "replaced":
        await talk.say(OLIVIA, "/broadcast Doors open at 18:30")
    else:
        await talk.press(OLIVIA, "Send")
    if how == "unscheduled":
        await talk.say(OLIVIA, "/broadcasts")
        await talk.press(OLIVIA, "Cancel #1")  # was: its preview's Send then said "already gone ahead"
    before = await snapshot(core.database)
    for label, button in buttons.items():
        answer = await talk.press_button(OLIVIA, button)
        assert expected in answer, (label, answer)
    assert await snapshot(core.database) == before


# ---- 7. names of invisible characters are no names; the same name twice is told apart --------------------


@pytest.mark.parametrize(
    "name", ["\u200b", "\u200c\u200d", "\u2060\ufeff", " \u00a0\u3000 ", "\u0301\u0302", "\u3164", "\u2800", "\u202e"]
)
def test_a_name_of_invisible_characters_is_not_visible(name: str) -> None:
    assert not is_visible(name)


@pytest.mark.parametrize("name", ["Ana", "李", "😀", "Zoë", "-", "O\u200bK"])
def test_a_real_name_is_visible(name: str) -> None:
    assert is_visible(name)


async def test_invisible_names_become_someone_told_apart_in_the_organisers_preview(
    talk: Talk, core: Core, code: str
) -> None:
    ghosts = [Sender("console", "g1", "\u200b\u200d"), Sender("console", "g2", "\ufeff \u2060")]
    for ghost in ghosts:
        await talk.say(ghost, f"/join {code}")
        await talk.press(ghost, "Choose my interests")
        await talk.press(ghost, "Python")
        await talk.press(ghost, "Done")
    assert "Name: Someone\n" in await talk.say(ghosts[0], "/profile")  # was: a name of zero-width characters
    preview = await talk.say(OLIVIA, "/match")
    assert "Someone (1) + Someone (2) — score" in preview, preview  # was: "​‍ + ﻿ ⁠"
    await talk.say(Sender("console", "g1", "Gina"), "/profile")  # a real name later replaces the fallback
    await talk.say(Sender("console", "g1", "\u200b"), "/profile")  # and an invisible one never replaces it
    assert "Name: Gina\n" in await talk.say(ghosts[0], "/profile")


async def test_two_members_of_the_same_name_are_told_apart_by_their_handles(talk: Talk, code: str) -> None:
    for user in ("sam1", "sam2"):
        who = Sender("console", user, "Sam", handle=user)
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        await talk.press(who, "Python")
        await talk.press(who, "Done")
    assert "Sam (@sam1) + Sam (@sam2) — score" in await talk.say(OLIVIA, "/match")


# ---- 8. /followup asks only when there is something to follow up --------------------------------------------


async def test_followup_with_nothing_to_follow_up_says_so_without_asking(talk: Talk, core: Core, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    actions = await core.handle(Command(OLIVIA, "followup"))
    said = actions[0].message.plain_text()
    assert "No introductions of HR Tweetup London are waiting for a follow-up." in said  # was: "Ask now anyway?"
    assert _buttons(actions) == [] and await _count(core, Confirmation) == 0


# ---- 9. what members are told about the intros follows what happened -----------------------------------


async def test_join_and_welcome_say_the_intros_already_went_out(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    assert "Introductions go out on Thu 03 Dec." in await talk.say(ALICE, f"/join {code}")
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    joined = await talk.say(CAROL, f"/join {code}")
    assert "The introductions already went out on Mon 23 Nov. If the organisers send another round" in joined
    assert "Thu 03 Dec" not in joined
    assert "already went out on Mon 23 Nov" in await talk.say(ALICE, "/profile")
    clock.set(datetime(2026, 11, 26, 10, 30, tzinfo=UTC))
    await CampaignRunner(core.database, clock, core.policy).run_due()
    [welcome] = [t for t in await _texts_to(core, "alice") if "two weeks away" in t]
    assert "already went out on Mon 23 Nov" in welcome, welcome
    assert "a week before the event" not in welcome  # was: "introductions come a week before the event"


# ---- 10. /starter only for the poll's options ----------------------------------------------------------------


async def test_a_starter_for_an_interest_outside_the_poll_is_refused(talk: Talk, core: Core, code: str) -> None:
    refused = await talk.say(OLIVIA, "/starter Chess: Best opening?")
    assert (
        "“Chess” is not an option of the poll of HR Tweetup London. Its options: Python, Recruiting, Hiking." in refused
    )
    assert await _count(core, Starter) == 0  # was: "Added a starter for Chess", never used
    assert "Added a starter for Python." in await talk.say(OLIVIA, "/starter python: Tabs or spaces?")


# ---- 11. /leave asks first ------------------------------------------------------------------------------------


async def test_leave_asks_first_and_its_buttons_act_once(talk: Talk, core: Core, code: str) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    asked = await talk.say(ALICE, "/leave")
    assert "Leave HR Tweetup London?" in asked and "You won't get introductions or messages about it" in asked
    assert [b.label for b in talk.last_buttons["alice"]] == ["Leave", "Stay"]
    older = talk.button(ALICE, "Leave")
    async with core.database.transaction() as session:
        alice = (await session.scalars(select(Participant).order_by(Participant.member_id))).first()
        assert alice is not None and alice.left_at is None  # was: left at once
    assert "nothing was changed" in await talk.press(ALICE, "Stay")
    await talk.say(ALICE, "/leave")
    leave = talk.button(ALICE, "Leave")
    assert "out of date" in await talk.press_button(ALICE, older)
    assert "out of date" in await talk.press_button(BOB, leave)  # someone else's button
    assert "You've left HR Tweetup London" in await talk.press(ALICE, "Leave")
    assert "pressing again changes nothing" in await talk.press_button(ALICE, leave)
    async with core.database.transaction() as session:
        alice = (await session.scalars(select(Participant).order_by(Participant.member_id))).first()
        assert alice is not None and alice.left_at is not None
