"""A synthetic community in the real schema, written in bulk: an event with a 20-option poll, its organiser, and
N members who joined it and answered with 2-5 interests (Zipf-like popularity), in a few time zones."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import insert, select

from bot.clock import Clock, SystemClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Command, Sender
from storage.database import Database
from storage.models import InterestOption, Member, MemberInterest, Participant

OPTIONS = [
    "Python", "Recruiting", "Hiking", "Design", "Startups", "Data", "Coffee", "Music", "Cycling", "Climbing",
    "Chess", "Films", "Books", "Running", "Cooking", "Travel", "Photography", "Gardening", "Games", "Yoga",
]  # fmt: skip
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", None]
ORGANISER = Sender("console", "olivia", "Olivia")
BATCH = 5000


@dataclass(frozen=True, slots=True)
class Community:
    event_id: int
    join_code: str


async def build(
    database: Database,
    members: int,
    *,
    clock: Clock | None = None,
    first_user: int = 100_000,
    platform: str = "console",
    seed: int = 1,
    starts: str = "2030-12-10 18:30",
    organiser: Sender = ORGANISER,
) -> Community:
    """The event is made through the core (``/newevent``, ``/poll``); the members are bulk-inserted, their
    platform user ids counting up from ``first_user``."""
    clock = clock or SystemClock()
    core = Core(database, clock, Policy())
    reply = await core.handle(Command(organiser, "newevent", f'"Community {first_user}" {starts} Europe/London'))
    code = reply[0].message.plain_text().split("Join code: ")[1].split()[0]
    await core.handle(Command(organiser, "poll", ", ".join(OPTIONS)))
    rng = random.Random(seed)
    popularity = [1.0 / (rank + 1) ** 1.1 for rank in range(len(OPTIONS))]
    now = clock.now()
    async with database.transaction() as session:
        row = await session.scalar(
            select(Member).where(Member.platform == organiser.platform, Member.platform_user_id == organiser.user_id)
        )
        assert row is not None and row.current_event_id is not None
        event_id = row.current_event_id
        option_ids = list(
            (
                await session.scalars(
                    select(InterestOption.id)
                    .where(InterestOption.event_id == event_id)
                    .order_by(InterestOption.position)
                )
            ).all()
        )
    for start in range(0, members, BATCH):
        people = range(start, min(members, start + BATCH))
        async with database.transaction() as session:
            rows = [
                {
                    "platform": platform,
                    "platform_user_id": str(first_user + n),
                    "display_name": f"Member {n}",
                    "handle": f"member{n}",
                    "time_zone": ZONES[n % len(ZONES)],
                    "status": "active",
                    "consented_at": now,
                    "created_at": now,
                    "cross_platform_ok": False,
                    "current_event_id": event_id,
                }
                for n in people
            ]
            ids = list(
                (await session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True), rows)).all()
            )
            await session.execute(
                insert(Participant),
                [
                    {"event_id": event_id, "member_id": member_id, "joined_at": now, "answered_at": now}
                    for member_id in ids
                ],
            )
            choices = []
            for member_id in ids:
                picked: set[int] = set()
                want = rng.randint(2, 5)
                while len(picked) < want:
                    picked.add(rng.choices(option_ids, popularity)[0])
                choices += [{"member_id": member_id, "option_id": option_id} for option_id in picked]
            await session.execute(insert(MemberInterest), choices)
    return Community(event_id, code)


async def intros_by_hand(database: Database, organiser: Sender = ORGANISER, clock: Clock | None = None) -> None:
    """Turn the campaign's own intros step off (of the organiser's current event, the last built): ``/match now``
    (what is measured) then runs at once, instead of first asking whether to make that step moot."""
    core = Core(database, clock or SystemClock(), Policy())
    await core.handle(Command(organiser, "schedule", "off intros"))
