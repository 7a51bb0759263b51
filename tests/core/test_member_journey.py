"""The happy path of every member and organiser command, driven through the core on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.core import Core
from storage.models import Event, Member, MemberInterest, OutboxMessage, Participant
from tests.core.conftest import ALICE, BOB, OLIVIA, create_event
from tests.fakes import Talk


async def count(core: Core, model: type) -> int:
    async with core.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_newevent_one_line_replies_with_code_and_local_time(talk: Talk, core: Core) -> None:
    reply = await talk.say(OLIVIA, '/newevent "HR Tweetup London" 2026-12-10 18:30 Europe/London')
    assert "Created HR Tweetup London, Thu 10 Dec 2026, 18:30 (Europe/London)" in reply
    async with core.database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
    assert event.starts_at.isoformat() == "2026-12-10T18:30:00+00:00"
    assert f"Join code: {event.join_code}" in reply


async def test_event_start_is_stored_in_utc_for_other_zones(talk: Talk, core: Core) -> None:
    await talk.say(OLIVIA, '/newevent "NYC" 2026-12-10 18:30 America/New_York')
    async with core.database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
    assert event.starts_at.isoformat() == "2026-12-10T23:30:00+00:00"
    assert event.time_zone == "America/New_York"


async def test_join_answer_interests_and_profile(talk: Talk, code: str, core: Core) -> None:
    welcome = await talk.say(ALICE, f"/join {code.lower()}")
    assert "Welcome to HR Tweetup London" in welcome
    keyboard = await talk.press(ALICE, "Choose my interests")
    assert "0 selected" in keyboard
    assert "1 selected" in await talk.press(ALICE, "Python")
    after_second = await talk.press(ALICE, "Hiking")
    assert "2 selected" in after_second
    assert [b.label for b in talk.last_buttons[ALICE.user_id]][:3] == ["✅ Python", "Recruiting", "✅ Hiking"]
    saved = await talk.press(ALICE, "Done")
    assert "Saved: Python, Hiking" in saved
    profile = await talk.say(ALICE, "/profile")
    assert "HR Tweetup London (current): Python, Hiking" in profile
    assert "Status: active" in profile
    async with core.database.transaction() as session:
        participant = (await session.scalars(select(Participant))).one()
    assert participant.answered_at is not None


async def test_interest_change_unselects(talk: Talk, code: str) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, "/interests")
    await talk.press(ALICE, "Python")
    assert "0 selected" in await talk.press(ALICE, "Python")  # the ✅ button now clears it


async def test_pause_resume_leave_and_rejoin(talk: Talk, code: str, core: Core) -> None:
    await talk.say(ALICE, f"/join {code}")
    assert "Paused for 2 weeks, until 07 Dec 2026" in await talk.say(ALICE, "/pause 2")
    assert "paused until 07 Dec 2026" in await talk.say(ALICE, "/profile")
    assert "Welcome back" in await talk.say(ALICE, "/resume")
    assert "not paused" in await talk.say(ALICE, "/resume")
    assert "until you send /resume" in await talk.say(ALICE, "/pause")
    await talk.say(ALICE, "/resume")
    assert "Leave HR Tweetup London?" in await talk.say(ALICE, "/leave")
    assert [b.label for b in talk.last_buttons["alice"]] == ["Leave", "Stay"]
    assert "You've left HR Tweetup London" in await talk.press(ALICE, "Leave")
    async with core.database.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.platform_user_id == "alice"))).one()
        assert member.status == "left"
    assert "Welcome to HR Tweetup London" in await talk.say(ALICE, f"/join {code}")
    assert "already in" in await talk.say(ALICE, f"/join {code}")


async def test_current_event_switching(talk: Talk, code: str) -> None:
    second = await create_event(talk, name="Design Night")
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, f"/join {second}")
    listing = await talk.say(ALICE, "/events")
    assert "Design Night" in listing and "← current" in listing
    assert "current event is now HR Tweetup London" in await talk.say(ALICE, f"/event {code}")
    assert "HR Tweetup London (current)" in await talk.say(ALICE, "/profile")


async def test_organiser_invite_events_and_stats(talk: Talk, code: str) -> None:
    invite = await talk.say(OLIVIA, "/invite")
    assert f"/join {code}" in invite
    assert talk.last_message(OLIVIA).invite_code == code
    assert "You organise:" in await talk.say(OLIVIA, "/events")
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        await talk.press(who, "Python")
        await talk.press(who, "Done")
    await talk.say(BOB, "/pause")
    stats = await talk.say(OLIVIA, "/stats")
    assert "Joined: 2" in stats
    assert "Answered the poll: 2 of 2" in stats
    assert "Paused: 1" in stats
    assert "• Python: 2" in stats and "• Hiking: 0" in stats


async def test_poll_change_keeps_answers_for_unchanged_options(talk: Talk, code: str, core: Core) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(ALICE, "/interests")
    await talk.press(ALICE, "Python")
    await talk.press(ALICE, "Hiking")
    assert "It would drop:" in await talk.say(OLIVIA, "/poll python, Design")  # Hiking was chosen: asked first
    assert await count(core, MemberInterest) == 2
    await talk.press(OLIVIA, "Yes, replace the poll")
    assert await count(core, MemberInterest) == 1
    assert "(current): python" in await talk.say(ALICE, "/profile")  # the label follows the organiser


async def test_broadcast_queues_one_message_per_active_member(talk: Talk, code: str, core: Core) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    await talk.say(BOB, "/pause")
    await talk.say(OLIVIA, "/broadcast Doors open at 18:00")
    await talk.press(OLIVIA, "Send")
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [row.address for row in rows] == ["olivia", "alice"]  # the progress message, then Alice
    assert "Sending: 0 of 1" in json.dumps(rows[0].payload, ensure_ascii=False)
    assert "Doors open at 18:00" in json.dumps(rows[1].payload)


async def test_help_lists_the_vocabulary(talk: Talk) -> None:
    reply = await talk.say(ALICE, "/help")
    for name in (
        "start",
        "join CODE",
        "interests",
        "profile",
        "pause",
        "resume",
        "leave",
        "mydata",
        "forget",
        "newevent",
        "events",
        "invite",
        "poll",
        "broadcast",
        "stats",
        "match",
        "schedule",
        "move",
    ):
        assert f"/{name}" in reply
    assert "Hi! I'm Icebreaker" in await talk.say(ALICE, "/start")


async def test_start_with_code_joins(talk: Talk, code: str) -> None:
    assert "Welcome to HR Tweetup London" in await talk.say(ALICE, f"/start {code}")
