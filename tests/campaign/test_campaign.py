"""The campaign runs on its own, on a moved clock: each step once, at member-local hours, safe to restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress
from storage.models import CampaignStep, Member, OutboxMessage
from tests.core.conftest import OLIVIA
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk, person

START = datetime(2026, 12, 10, 18, 30, tzinfo=ZoneInfo("Europe/London"))


async def _setup(talk: Talk) -> str:
    import re

    reply = await talk.say(OLIVIA, '/newevent "HR Tweetup London" 2026-12-10 18:30 Europe/London')
    code = re.search(r"Join code: (\w+)", reply)
    assert code
    await talk.say(OLIVIA, "/poll Python, Recruiting, Hiking")
    return code[1]


async def _steps(core: Core) -> dict[str, CampaignStep]:
    async with core.database.transaction() as session:
        return {s.key: s for s in (await session.scalars(select(CampaignStep))).all()}


async def test_the_default_campaign_and_schedule_command(talk: Talk, core: Core) -> None:
    await _setup(talk)
    steps = await _steps(core)
    assert sorted(steps) == sorted(
        ["welcome", "interest_prompt", "intros", "say_hi", "reminder", "lookout", "followup", "keep_going"]
    )
    assert {s.status for s in steps.values()} == {"pending"}  # now is 23 Nov: even T-14d (26 Nov) is ahead
    schedule = await talk.say(OLIVIA, "/schedule")
    assert "Thu 03 Dec 10:00  intros  Introductions (7 days before, 10:00)  [pending]" in schedule
    assert "Thu 10 Dec 16:30  lookout" in schedule
    assert "[off]" in await talk.say(OLIVIA, "/schedule off say_hi")
    assert "Tue 08 Dec 18:00  reminder" in await talk.say(OLIVIA, "/schedule move reminder -2 18:00")
    assert "No step called" in await talk.say(OLIVIA, "/schedule off nope")


async def test_moving_the_event_moves_pending_steps_only(talk: Talk, core: Core, clock: ManualClock) -> None:
    await _setup(talk)
    runner = CampaignRunner(core.database, clock, Policy())
    clock.set(datetime(2026, 11, 26, 10, 1, tzinfo=UTC))
    assert [o.split(":")[0] for o in await runner.run_due()] == ["welcome"]
    asked = await talk.say(OLIVIA, "/move 2026-12-17 19:00")
    assert "to Thu 17 Dec 2026, 19:00 (Europe/London)?\n7 pending campaign steps move with it:" in asked
    assert (await _steps(core))["intros"].due_at == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # not before "Yes"
    reply = await talk.press(OLIVIA, "Yes, move the event")
    assert "now starts Thu 17 Dec 2026, 19:00" in reply and "7 pending steps moved" in reply
    steps = await _steps(core)
    assert steps["welcome"].status == "done" and steps["welcome"].due_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert steps["intros"].due_at == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    assert steps["lookout"].due_at == datetime(2026, 12, 17, 17, 0, tzinfo=UTC)


async def test_a_whole_campaign_on_a_moved_clock(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    async with core.database.transaction() as session:  # Dan lives in Los Angeles
        await session.execute(
            update(Member).where(Member.platform_user_id == "dan").values(time_zone="America/Los_Angeles")
        )
    runner = CampaignRunner(core.database, clock, Policy())
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    fired: list[str] = []
    sent_at: dict[str, list[datetime]] = {}
    while clock.now() < START + timedelta(days=8):
        clock.advance(timedelta(minutes=30))
        if await runner.run_due():
            fired += [k for k, s in (await _steps(core)).items() if s.status == "done" and k not in fired]
        before = len(platform.sent)
        await delivery.run_once()
        for address, _ in platform.sent[before:]:
            sent_at.setdefault(address.user_id, []).append(clock.now())
    assert fired == ["welcome", "interest_prompt", "intros", "say_hi", "reminder", "lookout", "followup", "keep_going"]
    steps = await _steps(core)
    assert steps["interest_prompt"].note == "no linked chat"
    texts_alice = platform.texts_to("alice")
    assert sum("two weeks away" in t for t in texts_alice) == 1
    assert sum("Meet Bob" in t for t in texts_alice) == 1
    assert sum("Have you said hi to Bob" in t for t in texts_alice) == 1
    assert sum("Still coming?" in t for t in texts_alice) == 1
    assert sum("starts in two hours" in t for t in texts_alice) == 1
    assert sum("Did you meet Bob" in t for t in texts_alice) == 1
    assert sum("Keep the conversation going" in t for t in texts_alice) == 1
    # Alice (no zone: the event's) hears at 10:00 London; Dan at 10:00 in Los Angeles, never in quiet hours
    for when in sent_at["alice"]:
        assert 8 <= when.astimezone(ZoneInfo("Europe/London")).hour < 21
    for when in sent_at["dan"]:
        assert 8 <= when.astimezone(ZoneInfo("America/Los_Angeles")).hour < 21
    assert await runner.run_due() == []


async def test_rsvp_is_stored_and_counted(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    clock.set(datetime(2026, 12, 9, 10, 5, tzinfo=UTC))
    await CampaignRunner(core.database, clock, Policy()).run_due()
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    reminder = next(m for a, m in platform.sent if a.user_id == "alice" and "Still coming?" in m.plain_text())
    yes = next(b for row in reminder.buttons for b in row if b.action == "rsvp")
    assert (
        "see you there"
        in (await core.handle(ButtonPress(person("Alice"), yes.action, yes.value)))[0].message.plain_text()
    )
    assert "Still coming: 1 yes  ·  0 no  ·  1 not answered" in await talk.say(OLIVIA, "/stats")


async def test_restarting_ten_times_duplicates_nothing(database: object, clock: ManualClock) -> None:
    import random

    from storage.database import Database

    assert isinstance(database, Database)
    talk = Talk(Core(database, clock, Policy(), rng=random.Random(9)))
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    for _ in range(10):  # ten "processes" in turn, each with its own runner and delivery
        await CampaignRunner(database, clock, Policy()).run_due()
        await Delivery(database, {"console": RecordingPlatform()}, clock).run_once()
    async with database.transaction() as session:
        steps = await session.scalar(select(func.count()).select_from(CampaignStep))
        welcomes = await session.scalar(select(func.count()).where(OutboxMessage.key.like("step:%")))
    assert steps == 8 and welcomes == 2


async def test_down_for_two_hours_over_three_steps(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"]})
    await talk.say(OLIVIA, "/broadcast at 2026-12-09 10:30 First")
    await talk.press(OLIVIA, "Send")
    await talk.say(OLIVIA, "/broadcast at 2026-12-09 11:00 Second")
    await talk.press(OLIVIA, "Send")
    clock.set(datetime(2026, 12, 8, 19, 45, tzinfo=UTC))  # before the reminder may fire (14 hours early, at most)
    runner = CampaignRunner(core.database, clock, Policy())
    await runner.run_due()  # everything before the outage
    clock.set(datetime(2026, 12, 9, 11, 45, tzinfo=UTC))  # back after two hours: reminder, two broadcasts missed
    assert [o.split(":")[0] for o in await runner.run_due()] == ["reminder", "broadcast", "broadcast"]
    assert await runner.run_due() == []
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    texts = platform.texts_to("alice")
    assert [sum(word in t for t in texts) for word in ("Still coming?", "First", "Second")] == [1, 1, 1]


async def test_a_missed_step_that_is_no_longer_useful_is_skipped(talk: Talk, core: Core, clock: ManualClock) -> None:
    await _setup(talk)
    clock.set(datetime(2026, 12, 11, 9, 0, tzinfo=UTC))  # down from before the event until the next morning
    await CampaignRunner(core.database, clock, Policy()).run_due()
    steps = await _steps(core)
    assert all(steps[k].status == "skipped" for k in ("welcome", "intros", "reminder", "lookout"))
    assert "no longer useful" in (steps["intros"].note or "")
    assert steps["followup"].status == "pending"  # T+1d 10:00 is still to come


async def test_broadcast_audience_filters(talk: Talk, core: Core, clock: ManualClock) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Hiking"]})
    await talk.say(person("Carol"), f"/join {code}")
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    for audience, expected in [
        ("interest:python", ["alice"]),
        ("unanswered", ["carol"]),
        ("answered", ["alice", "bob"]),
    ]:
        platform.sent.clear()
        await talk.say(OLIVIA, f"/broadcast to {audience} Hello {audience}")
        await talk.press(OLIVIA, "Send")
        await delivery.run_once()
        assert sorted(a.user_id for a, m in platform.sent if "Hello" in m.plain_text()) == expected
    assert "not an audience I know" in await talk.say(OLIVIA, "/broadcast to rsvp-maybe Hello")
    platform.sent.clear()
    await talk.say(OLIVIA, "/broadcast To everyone: the doors open at 18:00")  # "To" here is just text
    await talk.press(OLIVIA, "Send")
    await delivery.run_once()
    assert any("To everyone: the doors open" in m.plain_text() for a, m in platform.sent if a.user_id == "carol")
    assert "has no interest called" in await talk.say(OLIVIA, "/broadcast to interest:chess Hello")
    assert "has no interest called “Board games”" in await talk.say(OLIVIA, '/broadcast to interest:"Board games" Hi')


async def test_the_day_after_asks_who_came_and_stats_show_the_whole_funnel(
    talk: Talk, core: Core, clock: ManualClock
) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"]})
    runner = CampaignRunner(core.database, clock, Policy())
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    clock.set(datetime(2026, 12, 9, 10, 5, tzinfo=UTC))  # T-1d: the reminder with its RSVP question
    await runner.run_due()
    await delivery.run_once()
    reminder = next(m for a, m in platform.sent if a.user_id == "carol" and "Still coming?" in m.plain_text())
    cannot = next(b for row in reminder.buttons for b in row if b.value.endswith(".no"))
    await core.handle(ButtonPress(person("Carol"), cannot.action, cannot.value))
    clock.set(datetime(2026, 12, 11, 10, 5, tzinfo=UTC))  # T+1d
    await runner.run_due()
    await delivery.run_once()
    asked = {a.user_id: m for a, m in platform.sent if "Did you make it to HR Tweetup London?" in m.plain_text()}
    assert sorted(asked) == ["alice", "bob"]  # Carol said she couldn't come: not asked
    there = next(b for row in asked["alice"].buttons for b in row if b.value.endswith(".yes"))
    for _ in range(2):  # pressed twice: one answer
        reply = await core.handle(ButtonPress(person("Alice"), there.action, there.value))
        assert "Glad you made it" in reply[0].message.plain_text()
    missed = next(b for row in asked["bob"].buttons for b in row if b.value.endswith(".no"))
    await core.handle(ButtonPress(person("Bob"), missed.action, missed.value))
    stats = await talk.say(OLIVIA, "/stats")
    assert "Attended: 1  ·  couldn't make it: 1" in stats
    stale = await core.handle(ButtonPress(person("Alice"), "attended", "999999.yes"))
    assert "no longer open" in stale[0].message.plain_text()
    await runner.run_due()
    await delivery.run_once()
    again = [a for a, m in platform.sent if "Did you make it" in m.plain_text()]
    assert len(again) == 2  # the step ran once; a second run asks nobody again
