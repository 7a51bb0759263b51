"""Rounds through the core: preview, send, answers, blocks holding, opt-in, follow-ups and stats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.errors import DeliveryUncertain
from bot.messages import ButtonPress, Message
from storage.models import Intro, IntroHistory, OutboxMessage, Round
from tests.core.conftest import OLIVIA
from tests.fakes import RecordingPlatform, Talk, person

PEOPLE = {
    "Alice": ["Python", "Hiking"],
    "Bob": ["Python", "Hiking"],
    "Carol": ["Recruiting"],
    "Dan": ["Recruiting"],
    "Erin": ["Hiking"],
}


async def _members_answer(talk: Talk, code: str, people: dict[str, list[str]] = PEOPLE) -> None:
    for name, picks in people.items():
        who = person(name)
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        for label in picks:
            await talk.press(who, label)
        await talk.press(who, "Done")


async def _deliver(core: Core, clock: ManualClock, platform: RecordingPlatform | None = None) -> RecordingPlatform:
    platform = platform or RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    return platform


def _intro_to(platform: RecordingPlatform, user: str) -> Message:
    intros = [m for a, m in platform.sent if a.user_id == user and any(b.action == "hi" for r in m.buttons for b in r)]
    assert len(intros) == 1, [m.plain_text() for a, m in platform.sent if a.user_id == user]
    return intros[0]


async def test_preview_sends_nothing_and_shows_groups_with_reasons(talk: Talk, core: Core, code: str) -> None:
    await _members_answer(talk, code)
    preview = await talk.say(OLIVIA, "/match")
    assert "Preview of round 1" in preview and "nothing sent yet" in preview
    assert "Alice + Bob + Erin — score" in preview and "at least two of you picked Hiking and Python" in preview
    assert "Carol + Dan — score" in preview and "you both picked Recruiting" in preview
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(Round)) == 0


async def test_match_now_sends_one_intro_each_with_reason_and_starter(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code)
    assert "2 introductions for 5 members" in await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    alice = _intro_to(platform, "alice").plain_text()
    assert "Meet Bob and Erin!" in alice
    assert "Why: " in alice and "Hiking" in alice
    assert "Conversation starter: “" in alice
    for user in ("bob", "carol", "dan", "erin"):
        _intro_to(platform, user)
    labels = [b.label for row in _intro_to(platform, "carol").buttons for b in row]
    assert labels == ["Said hi 👋", "Not now", "Don't match me with them again"]
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(IntroHistory)) >= 2


async def test_the_same_round_cannot_be_sent_twice(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await _members_answer(talk, code)
    await talk.say(OLIVIA, "/match")
    send = talk.button(OLIVIA, "Send these intros")
    first = await core.handle(ButtonPress(OLIVIA, send.action, send.value))
    again = await core.handle(ButtonPress(OLIVIA, send.action, send.value))
    assert "is on its way" in first[0].message.plain_text()
    assert "already been sent" in again[0].message.plain_text()
    async with core.database.transaction() as session:
        intros = (await session.scalars(select(Intro.member_id))).all()
    assert sorted(intros) == sorted(set(intros)) and len(intros) == 5


async def test_said_hi_not_now_and_never_again_holds_next_round(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    hi = next(b for row in _intro_to(platform, "alice").buttons for b in row if b.action == "hi")
    assert "said hi to Bob" in (await core.handle(ButtonPress(person("Alice"), "hi", hi.value)))[0].message.plain_text()
    assert "Already noted" in (await core.handle(ButtonPress(person("Alice"), "hi", hi.value)))[0].message.plain_text()
    other = await core.handle(ButtonPress(person("Carol"), "hi", hi.value))
    assert "for someone else" in other[0].message.plain_text()
    block = next(b for row in _intro_to(platform, "bob").buttons for b in row if b.action == "noagain")
    reply = await core.handle(ButtonPress(person("Bob"), block.action, block.value))
    assert "won't match you with Alice again" in reply[0].message.plain_text()

    clock.advance(timedelta(days=7))
    preview = await talk.say(OLIVIA, "/match")
    assert "Alice + Bob" not in preview  # the block holds even though they share the most
    assert "Preview of round 2" in preview


async def test_odd_count_makes_a_trio_and_a_lone_member_is_told(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"]})
    await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    assert "Meet" in _intro_to(platform, "carol").plain_text()
    trio = _intro_to(platform, "alice").plain_text()
    assert "Bob" in trio and "Carol" in trio


async def test_a_single_member_is_left_out_with_a_reason_and_first_next_time(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    (note,) = platform.texts_to("alice")
    assert "No introduction for you in this round" in note and "first in line" in note


async def test_followups_feed_stats(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.match_now(OLIVIA)
    platform = await _deliver(core, clock)
    hi = next(b for row in _intro_to(platform, "alice").buttons for b in row if b.action == "hi")
    await core.handle(ButtonPress(person("Alice"), hi.action, hi.value))
    clock.advance(timedelta(days=8))
    assert "hasn't happened yet" in await talk.say(OLIVIA, "/followup")
    assert "Asked 2 members whether they met" in await talk.press(OLIVIA, "Yes, ask now")
    assert "No introductions" in await talk.say(OLIVIA, "/followup")  # nobody is asked twice, and no question
    await _deliver(core, clock, platform)
    question = [m for a, m in platform.sent if a.user_id == "alice" and "Did you meet" in m.plain_text()]
    assert len(question) == 1 and "Did you meet Bob" in question[0].plain_text()
    yes = next(b for row in question[0].buttons for b in row if b.label.startswith("Yes"))
    rating = await core.handle(ButtonPress(person("Alice"), yes.action, yes.value))
    four = next(b for row in rating[0].message.buttons for b in row if b.label == "⭐⭐⭐⭐")
    await core.handle(ButtonPress(person("Alice"), four.action, four.value))
    stats = await talk.say(OLIVIA, "/stats")
    assert "Matched: 2  ·  said hi: 1  ·  met: 1  ·  average rating: 4.0 / 5" in stats
    forged = await core.handle(ButtonPress(person("Bob"), four.action, four.value))
    assert "no longer open" in forged[0].message.plain_text()


async def test_stats_tell_introduced_from_matched_and_count_what_may_not_have_arrived(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    await talk.match_now(OLIVIA)
    stats = await talk.say(OLIVIA, "/stats")
    assert "Matched: 4" in stats and "Intros delivered: 0 of 4 matched" in stats  # queued is not introduced
    platform = RecordingPlatform(failures={"carol": [DeliveryUncertain("Timed out")]})
    await _deliver(core, clock, platform)
    stats = await talk.say(OLIVIA, "/stats")
    assert "Intros delivered: 3 of 4 matched" in stats
    assert "1 message may not have arrived" in stats


async def test_a_round_reports_its_deliveries_to_the_organiser_and_ends_with_the_count(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform(failures={"carol": [DeliveryUncertain("Timed out")]})
    await _deliver(core, clock, platform)
    progress = [m for a, m in platform.sent if a.user_id == OLIVIA.user_id and "Round 1 of" in m.plain_text()]
    assert len(progress) == 1 and "Sent: 0 of 4 messages" in progress[0].plain_text()
    [(where, final)] = [(d, m) for d, m in platform.edits if "Round 1 of" in m.plain_text()][-1:]
    assert where.chat_id == OLIVIA.user_id
    assert "Sent: 3  ·  unreachable: 0  ·  failed: 0  ·  uncertain: 1" in final.plain_text()
    assert "1 message may not have arrived" in final.plain_text()
