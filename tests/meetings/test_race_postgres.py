"""Two bookings racing for the last place, on PostgreSQL: exactly one wins, the other is told and offered the
next free time. First at the storage level with two connections whose order is forced (the second insert
waits on the first's uncommitted seat), then as two processes (two replicas) pressing at the same moment."""

from __future__ import annotations

import asyncio
import json
import sys
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import ButtonPress, Command
from storage import meetings as queries
from storage.database import Database
from storage.models import (
    Event,
    Intro,
    IntroGroup,
    IntroState,
    Meeting,
    MeetingBusy,
    MeetingPlace,
    MeetingProposal,
    MeetingSeat,
    MeetingSlot,
    Member,
    Round,
)
from tests.conftest import NOW
from tests.fakes import person

LONDON = ZoneInfo("Europe/London")
PAIRS = 8  # four slots, two pairs racing for each one's only table


async def _event_with_pairs(core: Core) -> tuple[int, list[tuple[int, str, str]]]:
    """An event whose only place is one table; PAIRS pairs, introduced. Returns the event and, per pair,
    (group id, proposer, accepter)."""
    organiser = person("Olivia")
    await core.handle(Command(organiser, "newevent", '"Race" 2026-12-10 18:30 Europe/London'))
    async with core.database.transaction() as session:
        event = await session.scalar(select(Event))
        assert event is not None
        event_id, code = event.id, event.join_code
    names = [f"m{index:02d}" for index in range(PAIRS * 2)]
    for name in names:
        await core.handle(Command(person(name), "join", code))
    await core.handle(Command(organiser, "slots", '19:00-20:00 every 15 at "Table 1"'))
    pairs = []
    async with core.database.transaction() as session:
        ids = {m.platform_user_id: m.id for m in (await session.scalars(select(Member))).all()}
        for number in range(PAIRS):
            round_row = Round(event_id=event_id, number=number + 1, created_at=NOW)
            session.add(round_row)
            await session.flush()
            group = IntroGroup(round_id=round_row.id, score=1.0, shared=[], roles=[], state="introduced")
            session.add(group)
            await session.flush()
            first, second = names[2 * number], names[2 * number + 1]
            for name in (first, second):
                session.add(
                    Intro(
                        round_id=round_row.id, group_id=group.id, member_id=ids[name], state=IntroState.INTRODUCED,
                        updated_at=NOW,
                    )
                )  # fmt: skip
            pairs.append((group.id, first, second))
    return event_id, pairs


async def _propose(core: Core, group_id: int, proposer: str, slot_id: int) -> int:
    await core.handle(ButtonPress(person(proposer), "meet", str(group_id)))
    async with core.database.transaction() as session:
        draft = await session.scalar(select(MeetingProposal).where(MeetingProposal.group_id == group_id))
        assert draft is not None
        proposal_id = draft.id
    await core.handle(ButtonPress(person(proposer), "mtime", f"{proposal_id}.{slot_id}"))
    await core.handle(ButtonPress(person(proposer), "msend", str(proposal_id)))
    return proposal_id


async def test_two_connections_one_seat_the_second_waits_then_loses(postgres_database: Database) -> None:
    core = Core(postgres_database, ManualClock(NOW), Policy())
    event_id, pairs = await _event_with_pairs(core)
    async with postgres_database.transaction() as session:
        slot = (await queries.slots_of(session, event_id))[0]
        place = (await queries.places_of(session, event_id))[0]
        members = {
            group_id: tuple((await session.scalars(select(Intro.member_id).where(Intro.group_id == group_id))).all())
            for group_id, _, _ in pairs[:2]
        }
    (first_group, _, _), (second_group, _, _) = pairs[:2]
    async with postgres_database.sessions() as first, postgres_database.sessions() as second:
        await first.begin()
        await second.begin()
        slot_a, place_a = await first.get(MeetingSlot, slot.id), await first.get(MeetingPlace, place.id)
        slot_b, place_b = await second.get(MeetingSlot, slot.id), await second.get(MeetingPlace, place.id)
        assert slot_a and place_a and slot_b and place_b
        won = await queries.book(
            first, queries.Booking(event_id, first_group, slot_a, place_a, 1, members[first_group]), NOW
        )
        assert won is not None  # holds seat 1, not committed yet
        racing = asyncio.create_task(
            queries.book(
                second, queries.Booking(event_id, second_group, slot_b, place_b, 1, members[second_group]), NOW
            )
        )
        await asyncio.sleep(0.3)  # a deliberate wait: the second insert must block on the first's row lock
        assert not racing.done(), "the second booking did not wait for the first"
        await first.commit()
        assert await racing is None  # refused by the key once the first committed
        await second.commit()
    async with postgres_database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == 1


async def _until_one_waits_on_a_lock(database: Database) -> None:
    """Bounded: until PostgreSQL reports a backend of this database waiting on a lock (the second insert)."""
    async with asyncio.timeout(20):
        while True:
            async with database.transaction() as session:
                waiting = await session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.01)


async def _worker(database: Database, user: str, action: str, value: str) -> asyncio.subprocess.Process:
    url = database.url
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.meetings.race_worker", url, NOW.isoformat(), user, action, value,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_two_processes_tap_for_the_last_table_exactly_one_wins(postgres_database: Database) -> None:
    core = Core(postgres_database, ManualClock(NOW), Policy())
    event_id, pairs = await _event_with_pairs(core)
    async with postgres_database.transaction() as session:
        slots = list(await queries.slots_of(session, event_id))
    assert len(slots) == PAIRS // 2
    for index, slot in enumerate(slots):
        racers = pairs[2 * index : 2 * index + 2]
        presses = []
        for group_id, proposer, accepter in racers:
            proposal_id = await _propose(core, group_id, proposer, slot.id)
            presses.append((accepter, "mok", f"{proposal_id}.{slot.id}"))
        workers = [await _worker(postgres_database, *press) for press in presses]
        for worker in workers:
            assert worker.stdout is not None
            assert (await asyncio.wait_for(worker.stdout.readline(), 60)).strip() == b"ready"
        for worker in workers:  # both are connected and waiting: release them together
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        replies = []
        for worker in workers:
            out, err = await asyncio.wait_for(worker.communicate(), 60)
            assert worker.returncode == 0, err.decode()
            replies.append(" ".join(json.loads(out.decode().strip().splitlines()[-1])))
        winners = [r for r in replies if r.startswith("✅ Booked")]
        losers = [r for r in replies if "was just taken by someone else" in r]
        assert len(winners) == 1 and len(losers) == 1, replies
        if index + 1 < len(slots):  # offered the next free time
            assert f"The next free time is {slots[index + 1].starts_at.astimezone(LONDON):%H:%M}" in losers[0]
    async with postgres_database.transaction() as session:
        booked = (await session.scalars(select(Meeting).where(Meeting.state == "booked"))).all()
        assert sorted(m.slot_id for m in booked) == sorted(s.id for s in slots)  # one per slot, none twice
        assert await session.scalar(select(func.count()).select_from(MeetingSeat)) == len(slots)


async def test_a_trio_whose_two_others_accept_at_the_same_moment_is_booked_once(postgres_database: Database) -> None:
    """The group's lock orders the two yeses: the second sees the first and books. Without it, each could see
    the other's yes missing, and nothing would be booked."""
    core = Core(postgres_database, ManualClock(NOW), Policy())
    event_id, pairs = await _event_with_pairs(core)
    (group_id, ann, ben), (other_group, cat, _) = pairs[:2]
    async with postgres_database.transaction() as session:  # make the first pair a trio: Cat joins it
        group = await session.get(IntroGroup, group_id)
        cat_id = await session.scalar(select(Member.id).where(Member.platform_user_id == cat))
        assert group is not None and cat_id is not None
        await session.execute(delete(Intro).where(Intro.group_id == other_group))
        session.add(
            Intro(round_id=group.round_id, group_id=group_id, member_id=cat_id, state="introduced", updated_at=NOW)
        )
        slot = (await queries.slots_of(session, event_id))[0]
    proposal_id = await _propose(core, group_id, ann, slot.id)
    workers = [await _worker(postgres_database, who, "mok", f"{proposal_id}.{slot.id}") for who in (ben, cat)]
    for worker in workers:
        assert worker.stdout is not None
        assert (await asyncio.wait_for(worker.stdout.readline(), 60)).strip() == b"ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    replies = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(), 60)
        assert worker.returncode == 0, err.decode()
        replies.append(" ".join(json.loads(out.decode().strip().splitlines()[-1])))
    assert sum(r.startswith("✅ Booked") for r in replies) == 1, replies
    assert sum(r.startswith("Noted:") for r in replies) == 1, replies
    async with postgres_database.transaction() as session:
        booked = (await session.scalars(select(Meeting).where(Meeting.state == "booked"))).all()
        assert len(booked) == 1 and booked[0].group_id == group_id
        holders = (await session.scalars(select(MeetingBusy.member_id).distinct())).all()
        assert len(holders) == 3  # all three are in it
