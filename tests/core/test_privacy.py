"""mydata exports everything about a member; forget leaves no row holding their ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Integer, String, select

from bot.core import Core
from storage.models import Base, Block, IntroHistory, Member, OutboxMessage
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.fakes import Talk


async def _member_id(core: Core, user_id: str) -> int:
    async with core.database.transaction() as session:
        return (await session.scalars(select(Member.id).where(Member.platform_user_id == user_id))).one()


async def _alice_with_history(talk: Talk, core: Core, code: str) -> int:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        await talk.press(who, "Hiking")
        await talk.press(who, "Done")
    await talk.say(OLIVIA, "/broadcast See you soon")
    await talk.press(OLIVIA, "Send")
    alice, bob = await _member_id(core, "alice"), await _member_id(core, "bob")
    async with core.database.transaction() as session:
        now = datetime(2026, 11, 23, tzinfo=UTC)
        session.add(Block(member_id=alice, blocked_id=bob, created_at=now))
        session.add(Block(member_id=bob, blocked_id=alice, created_at=now))
        session.add(IntroHistory(event_id=None, member_a=bob, member_b=alice, introduced_at=now))
    await talk.say(ALICE, "/newevent")  # a form in progress
    return alice


async def test_mydata_is_everything_as_json(talk: Talk, core: Core, code: str) -> None:
    alice = await _alice_with_history(talk, core, code)
    await talk.say(ALICE, "/mydata")
    data = json.loads(talk.last_message(ALICE).plain_text().split("\n", 1)[1])
    assert data["platform_user_id"] == "alice"
    assert data["events"][0]["interests"] == ["Hiking"]
    assert data["events"][0]["code"] == code
    assert data["blocked_member_ids"] == [await _member_id(core, "bob")]
    assert data["introductions"][0]["with_member_id"] == await _member_id(core, "bob")
    assert alice


async def test_forget_leaves_no_row_with_the_members_ids(talk: Talk, core: Core, code: str) -> None:
    alice = await _alice_with_history(talk, core, code)
    await talk.say(ALICE, "/forget")
    assert "Nothing was erased" in await talk.press(ALICE, "No, keep me")
    await talk.say(ALICE, "/forget")
    yes = talk.button(ALICE, "Yes, erase me")
    assert "everything about you is erased" in await talk.press(ALICE, "Yes, erase me")
    from bot.messages import ButtonPress

    again = await core.handle(ButtonPress(ALICE, yes.action, yes.value))  # pressed twice
    assert "nothing about you is stored" in again[0].message.plain_text()

    leftovers = []
    async with core.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column in table.columns:
                    value = row[column.key]
                    refers_to_members = any(fk.column.table.name == "members" for fk in column.foreign_keys)
                    is_member_pk = table.name == "members" and column.key == "id"
                    if isinstance(column.type, Integer) and (refers_to_members or is_member_pk) and value == alice:
                        leftovers.append((table.name, column.key))
                    if isinstance(column.type, String) and value == "alice":
                        leftovers.append((table.name, column.key))
        bob_outbox = (await session.scalars(select(OutboxMessage.address))).all()
    assert leftovers == []
    assert "bob" in bob_outbox  # others' data is untouched
    assert "I store nothing about you" in await talk.say(ALICE, "/mydata")


async def test_forget_removes_messages_that_name_the_member(database: object, clock: object) -> None:
    import random

    from bot.clock import ManualClock
    from bot.context import Policy
    from storage.database import Database
    from tests.core.conftest import create_event

    assert isinstance(database, Database) and isinstance(clock, ManualClock)
    core = Core(database, clock, Policy(group_dm_platforms=frozenset({"console"})), rng=random.Random(4))
    talk = Talk(core)
    code = await create_event(talk)
    await talk.say(OLIVIA, "/poll Python, Hiking")
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")
    await talk.match_now(OLIVIA)  # one group conversation "alice,bob" and intros naming both
    await talk.say(OLIVIA, "/followup")
    await talk.press(OLIVIA, "Yes, ask now")
    await talk.say(OLIVIA, "/broadcast See you on Thursday")
    await talk.press(OLIVIA, "Send")
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert any(row.address == "alice,bob" for row in rows)
    assert any('"alice"' in json.dumps(row.payload) and row.address == "bob" for row in rows)
    await talk.say(ALICE, "/forget")
    await talk.press(ALICE, "Yes, erase me")
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert any("See you on Thursday" in json.dumps(row.payload) for row in rows if row.address == "bob")  # kept
    for row in rows:
        assert "alice" not in row.address.split(",")
        assert '["console", "alice"' not in json.dumps(row.payload)
