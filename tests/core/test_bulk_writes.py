"""The bulk paths on both databases: a round, a broadcast and a campaign step write every row they should, in a
number of statements that grows by batches of hundreds of rows, not by groups or members."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks.community import ORGANISER, build, intros_by_hand
from benchmarks.probe import counting
from bot.campaign.steps import HANDLERS, StepRun
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.intros import rounds
from bot.messages import ButtonPress, Command, Sender
from storage.database import Database
from storage.models import CampaignStep, Event, Intro, IntroGroup, IntroHistory, OutboxMessage, Round

ROOT = Path(__file__).resolve().parents[2]
SMALL, LARGE = 40, 1200  # 20 groups (one batch) and 600 groups (several batches)


async def _community(database: Database, clock: ManualClock, members: int, first_user: int) -> int:
    built = await build(database, members, clock=clock, first_user=first_user, starts="2026-12-10 18:30")
    await intros_by_hand(database, clock=clock)  # so /match now runs at once rather than asking first
    return built.event_id


async def _match_now(database: Database, clock: ManualClock, event_id: int) -> int:
    """``/match now`` for the event (the organiser's current one is the last made: switch to it); statements sent."""
    core = Core(database, clock, Policy())
    async with database.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None
    await core.handle(Command(ORGANISER, "event", event.join_code))
    with counting(database.engine) as statements:
        actions = await core.handle(Command(ORGANISER, "match", "now"))
    assert "is on its way" in actions[0].message.plain_text(), actions[0].message.plain_text()
    return statements.count


async def test_a_round_writes_every_row_in_batched_statements(database: Database, clock: ManualClock) -> None:
    small = await _community(database, clock, SMALL, 100_000)
    large = await _community(database, clock, LARGE, 200_000)
    small_statements = await _match_now(database, clock, small)
    large_statements = await _match_now(database, clock, large)
    extra_batches = math.ceil(LARGE / 2 / rounds.CHUNK) - 1
    # Per batch of groups, its transaction: BEGIN, the ids reserved, then four writes (groups, intro rows, who met
    # whom, messages). The rest does not grow.
    assert small_statements <= large_statements <= small_statements + 6 * extra_batches + 2, (
        small_statements,
        large_statements,
    )
    assert large_statements < 75  # a fixed few (declines, the delivery report) plus batches; was 1,800 (3 a group)
    async with database.read() as session:
        round_id = await session.scalar(select(Round.id).where(Round.event_id == large))
        intros = (
            await session.execute(select(Intro.member_id, Intro.group_id).where(Intro.round_id == round_id))
        ).all()
        groups = set((await session.scalars(select(IntroGroup.id).where(IntroGroup.round_id == round_id))).all())
        keys = set((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.event_id == large))).all())
        met = await session.scalar(select(func.count()).select_from(IntroHistory).where(IntroHistory.event_id == large))
    assert len(intros) == LARGE and len({member for member, _ in intros}) == LARGE  # everyone placed, once
    sizes = Counter(group for _, group in intros)
    assert set(sizes) == groups and all(size in (2, 3) for size in sizes.values())
    # Each member's intro is keyed by the group the database gave them (ids reserved in one statement).
    progress = {key for key in keys if key.startswith("broadcast:")}  # the round's delivery report, one message
    assert len(progress) == 1 and progress.pop().endswith(":progress")
    assert keys - {key for key in keys if key.startswith("broadcast:")} == {
        f"intro:{group}:{member}" for member, group in _member_ids(intros)
    }
    assert met == sum(size * (size - 1) // 2 for size in sizes.values())


def _member_ids(intros: list[tuple[int, int | None]]) -> list[tuple[int, int]]:
    return [(member, group) for member, group in intros if group is not None]


async def test_a_broadcast_is_queued_in_batched_statements(database: Database, clock: ManualClock) -> None:
    counts = {}
    for members, first_user in ((SMALL, 100_000), (LARGE, 200_000)):
        event_id = await _community(database, clock, members, first_user)
        core = Core(database, clock, Policy())
        preview = await core.handle(Command(ORGANISER, "broadcast", "Doors open at 18:00!"))
        [send] = [b for b in preview[0].message.buttons[0] if b.label == "Send"]
        with counting(database.engine) as statements:
            await core.handle(ButtonPress(ORGANISER, send.action, send.value))
        counts[members] = statements.count
        async with database.read() as session:
            queued = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.event_id == event_id)
            )
        assert queued == members + 1  # every member, and the organiser's progress message
    assert counts[SMALL] <= counts[LARGE] <= counts[SMALL] + math.ceil((LARGE + 1) / 500) + 2, counts


async def test_a_campaign_step_is_queued_in_batched_statements(database: Database, clock: ManualClock) -> None:
    counts = {}
    for members, first_user in ((SMALL, 100_000), (LARGE, 200_000)):
        event_id = await _community(database, clock, members, first_user)
        async with database.transaction() as session:
            event = await session.get(Event, event_id)
            step = await session.scalar(
                select(CampaignStep).where(CampaignStep.event_id == event_id, CampaignStep.kind == "reminder")
            )
            assert event is not None and step is not None
            with counting(database.engine) as statements:
                note = await HANDLERS["reminder"](StepRun(session, event, step, clock.now(), Policy()))
            counts[members] = statements.count
        assert note == f"queued {members}"
    assert counts[SMALL] <= counts[LARGE] <= counts[SMALL] + math.ceil(LARGE / 500) + 2, counts


async def test_the_loop_keeps_serving_while_a_round_is_matched(sqlite_database: Database, clock: ManualClock) -> None:
    """rustworkx holds the GIL for its whole matching call, so in a worker thread it froze the loop anyway: the
    matcher runs in a separate process. While it works, a probe sleeping 10 ms at a time keeps waking: its longest
    gap is a small part of the matching (in a thread, or inline, the gap was the whole matching)."""
    event_id = await _community(sqlite_database, clock, 2000, 100_000)  # the exact solver's range: about a second
    async with sqlite_database.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        number, pool = await rounds.read_pool(session, event, clock.now(), wake_pauses=False)
    wakes: list[float] = []

    async def probe() -> None:
        while True:
            await asyncio.sleep(0.01)
            wakes.append(time.perf_counter())

    ticking = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    plan = await rounds.solve(event_id, number, pool)
    finished = time.perf_counter()
    ticking.cancel()
    during = [started, *(t for t in wakes if started <= t <= finished), finished]
    longest_gap = max(b - a for a, b in itertools.pairwise(during))
    assert len(plan.result.groups) == 1000
    assert longest_gap < (finished - started) / 2, (longest_gap, finished - started)


async def test_follow_ups_are_asked_in_batched_statements(database: Database, clock: ManualClock) -> None:
    """Whether a member stopped answering is one query for everyone asked (it was one query per member)."""
    counts = {}
    for members, first_user in ((SMALL, 100_000), (LARGE, 200_000)):
        event_id = await _community(database, clock, members, first_user)
        await _match_now(database, clock, event_id)
        core = Core(database, clock, Policy())
        question = await core.handle(Command(ORGANISER, "followup", ""))  # before the event: asked first
        [yes] = [b for b in question[0].message.buttons[0] if b.label == "Yes, ask now"]
        with counting(database.engine) as statements:
            actions = await core.handle(ButtonPress(ORGANISER, yes.action, yes.value))
        assert f"Asked {members} members whether they met" in actions[0].message.plain_text()
        counts[members] = statements.count
    assert counts[SMALL] <= counts[LARGE] <= counts[SMALL] + 2 * math.ceil(LARGE / 500) + 4, counts


async def test_other_members_are_answered_while_a_round_is_matched(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The matching runs after /match now's transaction and before the round's: nothing holds a connection or,
    on SQLite, the one writer meanwhile. Members who write during the matching are answered before it ends."""
    event_id = await _community(database, clock, 2000, 100_000)
    core = Core(database, clock, Policy())
    async with database.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None
    await core.handle(Command(ORGANISER, "event", event.join_code))
    caplog.set_level(logging.INFO, logger="bot.intros.rounds")
    answered: list[float] = []
    round_task = asyncio.create_task(core.handle(Command(ORGANISER, "match", "now")))
    while not round_task.done():
        reply = await core.handle(Command(Sender("console", "100007", "Member 7"), "profile", ""))
        assert "Your profile" in reply[0].message.plain_text()
        answered.append(time.time())
        await asyncio.sleep(0.01)
    assert "is on its way" in (await round_task)[0].message.plain_text()
    (matched,) = [r for r in caplog.records if r.getMessage() == "round matched"]
    began = matched.created - matched.matcher_seconds  # type: ignore[attr-defined]
    during = [t for t in answered if began <= t <= matched.created]
    assert len(during) >= 3, (len(during), matched.matcher_seconds)  # type: ignore[attr-defined]


async def _round_progress(database: Database, event_id: int) -> tuple[int, bool]:
    """How many intro rows the event's first round has, and whether it is complete."""
    async with database.read() as session:
        round_row = await session.scalar(select(Round).where(Round.event_id == event_id, Round.number == 1))
        if round_row is None:
            return 0, False
        rows = await session.scalar(select(func.count()).select_from(Intro).where(Intro.round_id == round_row.id))
        return int(rows or 0), round_row.completed_at is not None


async def test_an_organisers_round_is_written_in_short_transactions(database: Database, clock: ManualClock) -> None:
    """Batches of groups commit one by one (on SQLite each holds the one writer only for itself): other writes
    go in between, while the round is partly visible and not yet complete."""
    event_id = await _community(database, clock, LARGE, 100_000)
    core = Core(database, clock, Policy())
    async with database.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None
    await core.handle(Command(ORGANISER, "event", event.join_code))
    member = Sender("console", "100007", "Member 7")
    round_task = asyncio.create_task(core.handle(Command(ORGANISER, "match", "now")))
    written_between = 0
    while not round_task.done():
        placed, complete = await _round_progress(database, event_id)
        if 0 < placed < LARGE and not complete:
            reply = await core.handle(Command(member, "profile", ""))  # a write transaction of its own
            assert "Your profile" in reply[0].message.plain_text()
            if not (await _round_progress(database, event_id))[1]:
                written_between += 1
        await asyncio.sleep(0.005)
    assert "is on its way" in (await round_task)[0].message.plain_text()
    assert written_between >= 1
    assert await _round_progress(database, event_id) == (LARGE, True)


async def test_a_round_cut_short_is_finished_by_the_next_match_now_and_nobody_gets_two(
    database: Database, clock: ManualClock
) -> None:
    """A process killed between two of the round's transactions leaves it unfinished: the next /match now finishes
    it for the members it had not reached, and nobody gets a second introduction."""
    event_id = await _community(database, clock, LARGE, 100_000)
    async with database.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workers.round_worker",
        database.url,
        event.join_code,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    while (await _round_progress(database, event_id))[0] == 0:
        assert worker.returncode is None, (await worker.communicate())[1].decode()[-2000:]
        await asyncio.sleep(0.002)
    worker.send_signal(signal.SIGKILL)
    await worker.communicate()
    placed, complete = await _round_progress(database, event_id)
    assert 0 < placed < LARGE and not complete, placed
    core = Core(database, clock, Policy())
    await core.handle(Command(ORGANISER, "event", event.join_code))
    reply = (await core.handle(Command(ORGANISER, "match", "now")))[0].message.plain_text()
    assert "Round 1 of" in reply and "cut short before" in reply, reply
    assert await _round_progress(database, event_id) == (LARGE, True)
    async with database.read() as session:
        rounds_made = await session.scalar(select(func.count()).select_from(Round).where(Round.event_id == event_id))
        messages = (
            await session.scalars(
                select(OutboxMessage.member_id).where(
                    OutboxMessage.event_id == event_id,
                    ~OutboxMessage.key.startswith("broadcast:"),  # the organiser's delivery report is not an intro
                )
            )
        ).all()
    assert rounds_made == 1
    assert len(messages) == LARGE and len(set(messages)) == LARGE  # one intro (or left-out note) each
