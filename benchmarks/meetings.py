"""Booking meetings: 2,000 members (1,000 pairs) racing for 8 slots × 50 tables, 32 bookings in flight.

    python -m benchmarks.meetings [--members N] [--slots N] [--places N] [--concurrency N] [--database-url URL]

Set-up (not timed): an event, its members, one introduced pair per two members, and for each pair a proposal
of every slot sent by its first member. Timed: the second member of each pair taps a time (a real ButtonPress
through ``Core.handle``: the transaction that records the yes, books the seat under the database's unique keys,
and queues the confirmation, the calendar file, the reminder and "did you meet?"); when the reply says the time
was taken, they tap another of the proposal's times, until booked or every time is full. ``--concurrency``
pairs tap at once. There are fewer seats than pairs, so many taps lose; what must hold is that none conflict:
afterwards the meetings are checked for a member in two at once, a table holding two, or a seat without its
meeting. Latency is from the tap to the reply; the event loop's lag is sampled beside it. With a PostgreSQL URL
the run uses a scratch database beside the one named (``postgresql+asyncpg://postgres@127.0.0.1/test``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import insert, select

from benchmarks.inbound import scratch_database
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import ButtonPress, Command, Sender
from storage.database import Database
from storage.meetings import slots_of
from storage.models import (
    Event,
    Intro,
    IntroGroup,
    IntroState,
    Meeting,
    MeetingBusy,
    MeetingProposal,
    MeetingSeat,
    Member,
    ProposalState,
    Round,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def set_up(core: Core, members: int, slots: int, places: int) -> list[tuple[Sender, int, list[int]]]:
    """The event and its pairs; per pair: who taps, the proposal, and its slot ids."""
    organiser = Sender("console", "olivia", "Olivia")
    reply = await core.handle(Command(organiser, "newevent", '"Bench" 2026-12-10 18:00 Europe/London'))
    code = reply[0].message.plain_text().split("Join code: ")[1].split()[0]
    people = [Sender("console", f"m{n}", f"Member {n}") for n in range(members)]
    for person in people:
        await core.handle(Command(person, "join", code))
    end = 18 * 60 + 15 * slots
    spec = f'18:00-{end // 60:02d}:{end % 60:02d} every 15 at "Table 1-{places}"'
    answer = await core.handle(Command(organiser, "slots", spec))
    if "set" not in answer[0].message.plain_text():
        raise SystemExit(answer[0].message.plain_text())
    async with core.database.transaction() as session:
        event = await session.scalar(select(Event))
        assert event is not None
        ids = {m.platform_user_id: m.id for m in (await session.scalars(select(Member))).all()}
        slot_ids = [s.id for s in await slots_of(session, event.id)]
        round_row = Round(event_id=event.id, number=1, created_at=NOW)
        session.add(round_row)
        await session.flush()
        groups = (
            (
                await session.execute(
                    insert(IntroGroup).returning(IntroGroup.id),
                    [
                        {"round_id": round_row.id, "score": 1.0, "shared": [], "roles": [], "state": "introduced"}
                        for _ in range(members // 2)
                    ],
                )
            )
            .scalars()
            .all()
        )
        pairs = [(people[2 * n], people[2 * n + 1], group_id) for n, group_id in enumerate(groups)]
        await session.execute(
            insert(Intro),
            [
                {
                    "round_id": round_row.id,
                    "group_id": group_id,
                    "member_id": ids[person.user_id],
                    "state": IntroState.INTRODUCED,
                    "updated_at": NOW,
                }
                for first, second, group_id in pairs
                for person in (first, second)
            ],
        )
        proposals = (
            (
                await session.execute(
                    insert(MeetingProposal).returning(MeetingProposal.id),
                    [
                        {
                            "group_id": group_id,
                            "proposer_id": ids[first.user_id],
                            "slot_ids": slot_ids,
                            "state": ProposalState.SENT,
                            "created_at": NOW,
                            "updated_at": NOW,
                        }
                        for first, _, group_id in pairs
                    ],
                )
            )
            .scalars()
            .all()
        )
    return [(second, proposal_id, slot_ids) for (_, second, _), proposal_id in zip(pairs, proposals, strict=True)]


async def conflicts(database: Database) -> list[str]:
    """Every way the bookings could be wrong, read from the meetings themselves."""
    found: list[str] = []
    async with database.transaction() as session:
        live = {m.id: m for m in (await session.scalars(select(Meeting).where(Meeting.state == "booked"))).all()}
        per_member: dict[int, list[Meeting]] = defaultdict(list)
        for meeting_id, member_id in (
            await session.execute(select(MeetingBusy.meeting_id, MeetingBusy.member_id).distinct())
        ).all():
            if meeting_id not in live:
                found.append(f"time held by meeting {meeting_id}, which is not booked")
            else:
                per_member[member_id].append(live[meeting_id])
        for member_id, meetings in per_member.items():
            meetings.sort(key=lambda m: m.starts_at)
            overlaps = [a for a, b in itertools.pairwise(meetings) if a.ends_at > b.starts_at]
            found += [f"member {member_id} in two meetings" for _ in overlaps]
        per_table: dict[tuple[int | None, int | None], int] = defaultdict(int)
        for meeting in live.values():
            per_table[(meeting.slot_id, meeting.place_id)] += 1
        found += [f"table {key} holds {count}" for key, count in per_table.items() if count > 1]
        seats = (await session.scalars(select(MeetingSeat.meeting_id))).all()
        if sorted(seats) != sorted(live):
            found.append("seats and booked meetings differ")
    return found


async def run(members: int, slots: int, places: int, concurrency: int, url: str | None) -> None:
    async with scratch_database(url) as database:
        core = Core(database, ManualClock(NOW), Policy(), rng=random.Random(1))
        pairs = await set_up(core, members, slots, places)
        queue: asyncio.Queue[tuple[Sender, int, list[int]]] = asyncio.Queue()
        for pair in pairs:
            queue.put_nowait(pair)
        latencies: list[float] = []
        outcome = {"booked": 0, "taken (lost a race or full)": 0, "no seat left at all": 0, "other": 0}
        lags: list[float] = []
        done = asyncio.Event()

        async def watch_loop() -> None:
            """How late a 10 ms sleep wakes: what every other request on this loop would wait."""
            while not done.is_set():
                t0 = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - t0 - 0.01)

        async def lane(seed: int) -> None:
            rng = random.Random(seed)
            while not queue.empty():
                who, proposal_id, slot_ids = queue.get_nowait()
                order = rng.sample(slot_ids, len(slot_ids))
                for slot_id in order:
                    t0 = time.perf_counter()
                    actions = await core.handle(ButtonPress(who, "mok", f"{proposal_id}.{slot_id}"))
                    latencies.append(time.perf_counter() - t0)
                    reply = " ".join(a.message.plain_text() for a in actions)
                    if reply.startswith("✅ Booked"):
                        outcome["booked"] += 1
                        break
                    if "was just taken" in reply:
                        outcome["taken (lost a race or full)"] += 1
                        continue
                    outcome["other"] += 1
                    print("  unexpected reply:", reply[:200])
                    break
                else:
                    outcome["no seat left at all"] += 1

        watcher = asyncio.create_task(watch_loop())
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(lane(n) for n in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        done.set()
        await watcher
        problems = await conflicts(database)
        dialect = database.engine.dialect.name
    latencies.sort()
    lags.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    seats = slots * places
    print(f"meetings: {members} members ({len(pairs)} pairs) for {slots} slots × {places} tables = {seats} seats,")
    print(f"  {concurrency} bookings in flight, on {dialect}")
    print(f"  booked: {outcome['booked']} (every seat: {outcome['booked'] == min(seats, len(pairs))})")
    print(f"  taps: {len(latencies)}; " + ", ".join(f"{k}: {v}" for k, v in outcome.items() if k != "booked"))
    print(
        f"  conflicts: {len(problems)}"
        + (f" — {problems[:5]}" if problems else " (no member in two meetings, no table holding two)")
    )
    print(
        f"  bookings/s: {outcome['booked'] / elapsed:,.0f}; taps/s: {len(latencies) / elapsed:,.0f} ({elapsed:.1f} s)"
    )
    print(
        f"  tap → reply latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {pct(latencies, 0.99):.1f} ms,"
        f" max {latencies[-1] * 1000:.1f} ms"
    )
    print(f"  event-loop lag: p50 {pct(lags, 0.5):.1f} ms, p99 {pct(lags, 0.99):.1f} ms, max {lags[-1] * 1000:.1f} ms")
    print(f"  this process had {cpu:.1f} s of CPU in {elapsed:.1f} s (the rest: waiting for the database or a core)")
    if problems:
        raise SystemExit("conflicting bookings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.slots, args.places, max(1, args.concurrency), args.database_url))


if __name__ == "__main__":
    main()
