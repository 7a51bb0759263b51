"""A stateful fuzz of the whole core (issue 11): organisers and members do anything the vocabulary allows,
with valid, invalid and hostile arguments; press any button of any message ever shown, stale ones included;
move the clock through the campaign (steps fire, the outbox delivers). After every step, invariants:

- no handler failed (nobody is told "something went wrong", no campaign step failed);
- every newly queued message to a member goes to a current member (or organiser) of its event, and a
  broadcast only to active members of the audience it was meant for;
- no newly queued message or reply names someone who left or erased themselves, and no name is empty;
- nobody gets the same campaign message (the same purpose) twice;
- ``stats`` equals counts taken from the tables.

Bounded in CI (``ICEBREAKER_FUZZ_EXAMPLES``, default 12 examples of up to 30 steps, on SQLite and
PostgreSQL); run longer with, e.g.::

    ICEBREAKER_FUZZ_EXAMPLES=300 ICEBREAKER_FUZZ_STEPS=60 .venv/bin/pytest -q tests/core/test_state_machine.py
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import SORRY, Core
from bot.delivery import Delivery
from bot.messages import Button, ButtonPress, Command, FreeText, Mention, Message, Sender
from bot.stats import event_stats
from storage.database import Database
from storage.members import is_visible
from storage.models import (
    Broadcast,
    Event,
    EventOrganiser,
    InterestOption,
    Intro,
    Member,
    MemberInterest,
    OutboxMessage,
    Participant,
)
from tests.conftest import NOW, PG_ADMIN_DSN, _drop, _pg_url
from tests.fakes import RecordingPlatform, person

# "1 members", "1 pending campaign steps": a count of one must read in the singular (bot.views.plural).
SINGULAR_AS_PLURAL = re.compile(
    r"(?<![\d.,])\b1 (?:pending )?(?:campaign )?"
    r"(?:members|steps|people|introductions|options|groups|recipients|messages|weeks|rounds|slots)\b"
)

EXAMPLES = int(os.environ.get("ICEBREAKER_FUZZ_EXAMPLES", "12"))
STEPS = int(os.environ.get("ICEBREAKER_FUZZ_STEPS", "30"))

OLIVIA = person("Olivia")
# The last has a name of invisible characters only (zero-width space, joiner, word joiner, BOM): no name at all.
MEMBERS = [
    *(person(name) for name in ("Alice", "Bob", "Carol", "Dan", "Eve")),
    Sender("console", "zw", "\u200b\u200d\u2060\ufeff"),
]
PEOPLE = [OLIVIA, *MEMBERS]
HOSTILE = ["<!channel>", "<b>x</b>", "*_[`", "x" * 5000, "   ", "\u202e", "@everyone", "/start", "😀" * 50]

ORGANISER_LINES = [
    "/poll Python, Hiking, Design",
    "/poll Python, Hiking",
    "/poll Chess, Design",
    "/poll",
    "/broadcast Doors open at 18:00",
    "/broadcast to answered Bring your badge",
    "/broadcast to rsvp-yes See you",
    "/broadcast to interest:Python Pythonistas, table 3",
    "/broadcast to answerd hello",
    "/broadcast to nobody hi",
    "/broadcast at tomorrow hi",
    "/broadcast at 2026-12-05 9am hello",
    "/broadcast at 2026-12-05 09:00 Early birds",
    "/broadcast to all at 2026-12-09 12:00 Tomorrow!",
    "/broadcasts",
    "/stats",
    "/schedule",
    "/schedule off say_hi",
    "/schedule on say_hi",
    "/schedule move intros 2 09:00",
    "/schedule move reminder -2 18:00",
    "/move 2026-12-12 18:00",
    "/move 2026-12-03 18:00",
    "/move yesterday",
    "/match",
    "/match now",
    "/followup",
    "/rules size 3",
    "/rules size 2",
    "/rules",
    "/invite",
    "/export",
    "/events",
]
MEMBER_LINES = [
    "/interests",
    "/pause",
    "/pause 1",
    "/resume",
    "/leave",
    "/forget",
    "/profile",
    "/mydata",
    "/timezone Asia/Tokyo",
    "/timezone Not/AZone",
    "/role recruiter",
    "/meetings",
    "/help",
    "/cancel",
    "/start",
    "/join NOPE99",
    "/event NOPE99",
]


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Makes a migrated database per example (a copy of one template), on the backend of the parameter."""
    backend = request.param
    made: list[str] = []
    if backend == "sqlite":
        template = tmp_path / "template.db"
        asyncio.run(_migrate(Database(f"sqlite:///{template}")))

        async def make_sqlite() -> Database:
            copy = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copy(template, copy)
            return Database(f"sqlite:///{copy}")

        yield make_sqlite
        return
    pg_template = request.getfixturevalue("pg_template")

    async def make_postgres() -> Database:
        name = f"icebreaker_fz_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
        await admin.close()
        made.append(name)
        return Database(_pg_url(name))

    yield make_postgres
    for name in made:
        asyncio.run(_drop(name))


async def _migrate(database: Database) -> None:
    await database.upgrade()
    await database.dispose()


class Icebreaker(RuleBasedStateMachine):
    make_database: Callable[[], Any]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.database: Database = self.loop.run_until_complete(self.make_database())
        self.clock = ManualClock(NOW)
        self.core = Core(self.database, self.clock, Policy(), rng=random.Random(7))
        self.platform = RecordingPlatform()
        self.delivery = Delivery(self.database, {"console": self.platform}, self.clock)
        self.runner = CampaignRunner(self.database, self.clock, self.core.policy)
        self.shown: list[tuple[Sender, Button]] = []  # every button ever shown, with whom it was shown to
        self.replies: list[Message] = []  # replies of the last step
        self.failures: list[str] = []
        self.seen_outbox = 0
        self.code = ""
        self.delivered = 0

    def teardown(self) -> None:
        self.loop.run_until_complete(self.database.dispose())
        self.loop.close()

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def handle(self, incoming: Command | ButtonPress | FreeText) -> None:
        actions = self.run(self.core.handle(incoming))
        self.replies = [action.message for action in actions]
        for message in self.replies:
            if SORRY in message.plain_text():
                self.failures.append(f"handler failed on {incoming!r}")
            self.shown += [(incoming.sender, b) for row in message.buttons for b in row]

    def press_shown(self, who: Sender, label: str) -> None:
        """Press the button of the last replies whose label starts with ``label``, if there is one."""
        found = [b for message in self.replies for row in message.buttons for b in row if b.label.startswith(label)]
        if found:
            self.handle(ButtonPress(who, found[0].action, found[0].value))

    def say(self, who: Sender, line: str) -> None:
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            self.handle(Command(who, name, args))
        else:
            self.handle(FreeText(who, line))

    @initialize()
    def an_event_with_a_poll(self) -> None:
        actions = self.run(self.core.handle(Command(OLIVIA, "newevent", '"HR Tweetup" 2026-12-10 18:30 Europe/London')))
        found = re.search(r"Join code: (\w+)", actions[0].message.plain_text())
        assert found
        self.code = found[1]
        self.say(OLIVIA, "/poll Python, Hiking, Recruiting")
        for who in MEMBERS[:4]:  # most of the room is in from the start (Eve is not): deeper states sooner
            self.say(who, f"/join {self.code}")

    # ---- what people do ----------------------------------------------------------------------------------

    @rule(who=st.sampled_from(MEMBERS))
    def join(self, who: Sender) -> None:
        self.say(who, f"/join {self.code}")

    # The consequential actions, as rules of their own so that they happen often and in any order.
    @rule(yes=st.booleans())
    def a_round_now(self, yes: bool) -> None:
        self.say(OLIVIA, "/match now")
        if yes:  # it may ask first (another round, or the campaign's intros still to come)
            self.press_shown(OLIVIA, "Yes, send round")

    @rule()
    def ask_who_met(self) -> None:
        self.say(OLIVIA, "/followup")

    @rule(who=st.sampled_from(MEMBERS), answer=st.sampled_from(["yes", "no"]))
    def rsvp(self, who: Sender, answer: str) -> None:
        self.handle(ButtonPress(who, "rsvp", f"1.{answer}"))  # the reminder's button (the event's id is 1)

    @rule(who=st.sampled_from(MEMBERS))
    def leave(self, who: Sender) -> None:
        self.say(who, "/leave")
        self.press_shown(who, "Leave")

    @rule(who=st.sampled_from(MEMBERS))
    def erase(self, who: Sender) -> None:
        self.say(who, "/forget")
        self.handle(ButtonPress(who, "forget", "yes"))

    @rule(who=st.sampled_from(MEMBERS), picks=st.lists(st.integers(1, 4), max_size=3))
    def answer_the_poll(self, who: Sender, picks: list[int]) -> None:
        for option_id in picks:  # option ids are stable; a replaced poll's old ids are refused politely
            self.handle(ButtonPress(who, "pick", f"{option_id}.1"))
        self.handle(ButtonPress(who, "picked", "1"))

    @rule(who=st.sampled_from(MEMBERS), line=st.sampled_from(MEMBER_LINES))
    def member_says(self, who: Sender, line: str) -> None:
        self.say(who, line)

    @rule(line=st.sampled_from(ORGANISER_LINES))
    def organiser_says(self, line: str) -> None:
        self.say(OLIVIA, line)

    @rule(who=st.sampled_from(PEOPLE), line=st.sampled_from(ORGANISER_LINES + MEMBER_LINES))
    def anyone_says(self, who: Sender, line: str) -> None:
        self.say(who, line)

    @rule(
        who=st.sampled_from(PEOPLE),
        command=st.sampled_from(["broadcast", "poll", "join", "role", "timezone"]),
        junk=st.sampled_from(HOSTILE),
    )
    def hostile_arguments(self, who: Sender, command: str, junk: str) -> None:
        self.say(who, f"/{command} {junk}")

    @rule(who=st.sampled_from(PEOPLE), junk=st.sampled_from([*HOSTILE, "hello", "Python, Hiking"]))
    def free_text(self, who: Sender, junk: str) -> None:
        self.say(who, junk)

    @rule(data=st.data())
    def press_a_recent_button(self, data: st.DataObject) -> None:
        """Mostly what people do: a button of one of the last messages they got."""
        if self.shown:
            who, button = data.draw(st.sampled_from(self.shown[-8:]), label="recent button")
            self.handle(ButtonPress(who, button.action, button.value))

    @rule(data=st.data())
    def press_a_button_ever_shown(self, data: st.DataObject) -> None:
        if not self.shown:
            return
        who, button = data.draw(st.sampled_from(self.shown), label="button")
        if data.draw(st.booleans(), label="by someone else"):
            who = data.draw(st.sampled_from(PEOPLE), label="presser")
        self.handle(ButtonPress(who, button.action, button.value))

    @rule(
        who=st.sampled_from(PEOPLE),
        action=st.sampled_from(["bsend", "confirm", "rsvp", "pick", "forget", "met"]),
        value=st.sampled_from(["", "1", "1.yes", "1.no", "999999.yes", "-1", "x.y", "1.1"]),
    )
    def forged_button(self, who: Sender, action: str, value: str) -> None:
        self.handle(ButtonPress(who, action, value))

    @rule(hours=st.sampled_from([1, 6, 24, 72, 24 * 7, 24 * 7]))
    def time_passes(self, hours: int) -> None:
        self.replies = []
        self.clock.advance(timedelta(hours=hours))
        for outcome in self.run(self.runner.run_due()):
            if ": failed" in outcome:
                self.failures.append(f"campaign step {outcome}")
        before = len(self.platform.sent)
        self.run(self.delivery.run_once())
        by_id = {p.user_id: p for p in PEOPLE}
        for address, message in self.platform.sent[before:]:
            if address.user_id in by_id:
                self.shown += [(by_id[address.user_id], b) for row in message.buttons for b in row]

    # ---- what must hold after every step --------------------------------------------------------------------

    @invariant()
    def no_handler_failed(self) -> None:
        assert not self.failures, self.failures

    @invariant()
    def new_messages_reach_the_right_people_and_name_only_current_members(self) -> None:
        problems = self.run(self._check_new_messages())
        assert not problems, problems

    @invariant()
    def nobody_gets_the_same_introduction_twice(self) -> None:
        stale = self.run(self._stale_introductions())
        assert not stale, f"(member, group) introduced only to people they had been introduced to before: {stale}"

    async def _stale_introductions(self) -> list[tuple[int, int]]:
        async with self.database.read() as session:
            rows = (
                await session.execute(
                    select(Intro.group_id, Intro.member_id)
                    .where(Intro.group_id.is_not(None))
                    .order_by(Intro.round_id, Intro.group_id)
                )
            ).all()
        groups: dict[int, list[int]] = {}
        for group_id, member_id in rows:
            groups.setdefault(group_id, []).append(member_id)
        met: set[tuple[int, int]] = set()
        stale = []
        for group_id, members in groups.items():
            for member in members:
                others = [o for o in members if o != member]  # an erased member's intro rows are gone
                if others and all((min(member, o), max(member, o)) in met for o in others):
                    stale.append((member, group_id))
            met |= set(itertools.combinations(sorted(members), 2))
        return stale

    @invariant()
    def stats_equal_the_tables(self) -> None:
        shown, expected = self.run(self._stats_and_counts())
        assert shown == expected, f"stats (joined, still in, left, answered) {shown}, tables {expected}"

    async def _stats_and_counts(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """What ``stats`` shows (the same ``EventStats`` the chat and the dashboard render), and the same
        numbers counted from the rows: answered = still in, said Done, and has at least one interest left."""
        async with self.database.read() as session:
            event = await session.scalar(select(Event).where(Event.join_code == self.code))
            assert event is not None
            figures = await event_stats(session, event, self.clock.now())
            participants = (await session.scalars(select(Participant).where(Participant.event_id == event.id))).all()
            with_interests = set(
                (
                    await session.scalars(
                        select(MemberInterest.member_id)
                        .join(InterestOption, InterestOption.id == MemberInterest.option_id)
                        .where(InterestOption.event_id == event.id)
                    )
                ).all()
            )
        staying = [p for p in participants if p.left_at is None]
        answered = [p for p in staying if p.answered_at is not None and p.member_id in with_interests]
        shown = (figures.joined, figures.still_in, figures.left, figures.answered)
        return shown, (len(participants), len(staying), len(participants) - len(staying), len(answered))

    async def _check_new_messages(self) -> list[str]:
        problems: list[str] = []
        async with self.database.read() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.id > self.seen_outbox).order_by(OutboxMessage.id)
                )
            ).all()
            members = {(m.platform, m.platform_user_id): m for m in (await session.scalars(select(Member))).all()}
            by_id = {m.id: m for m in members.values()}
            current = {
                (p.event_id, p.member_id): p
                for p in (await session.scalars(select(Participant))).all()
                if p.left_at is None
            }
            organisers = set((await session.execute(select(EventOrganiser.event_id, EventOrganiser.member_id))).all())
            step_texts = {
                (r.address, Message.from_dict(r.payload).plain_text())
                for r in (
                    await session.scalars(select(OutboxMessage).where(OutboxMessage.id <= self.seen_outbox))
                ).all()
                if r.key.startswith("step:")
            }
            for row in rows:
                message = Message.from_dict(row.payload)
                if row.address_kind == "member" and row.event_id is not None:
                    insider = row.member_id is not None and (
                        (row.event_id, row.member_id) in current or (row.event_id, row.member_id) in organisers
                    )
                    if not insider:
                        problems.append(f"{row.key} queued to {row.address}, not a current member of the event")
                if row.broadcast_id is not None and not row.key.endswith(":progress") and row.member_id is not None:
                    broadcast = await session.get(Broadcast, row.broadcast_id)
                    member = by_id.get(row.member_id)
                    participant = current.get((row.event_id or 0, row.member_id))
                    if broadcast is None or member is None or participant is None or member.status != "active":
                        problems.append(f"{row.key}: broadcast to someone who is not an active member")
                    elif not _in_audience(broadcast.audience, participant):
                        problems.append(f"{row.key}: {member.display_name} is not in “{broadcast.audience}”")
                problems += _names_problems(row.key, message, members, current, organisers, row.event_id)
                if row.key.startswith("step:"):
                    text = (row.address, message.plain_text())
                    if text in step_texts:
                        problems.append(f"{row.key}: {row.address} got the same campaign message twice: {text[1]!r}")
                    step_texts.add(text)
            for message in self.replies:
                problems += _names_problems("reply", message, members, current, organisers, None)
            if rows:
                self.seen_outbox = rows[-1].id
        return problems


def _in_audience(audience: str, participant: Participant) -> bool:
    if audience == "answered":
        return participant.answered_at is not None
    if audience == "unanswered":
        return participant.answered_at is None
    if audience.startswith("rsvp-"):
        wanted = audience.removeprefix("rsvp-")
        return participant.rsvp == (None if wanted == "unknown" else wanted)
    return True


def _names_problems(
    key: str,
    message: Message,
    members: dict[tuple[str, str], Member],
    current: dict[tuple[int, int], Participant],
    organisers: set[Any],
    event_id: int | None,
) -> list[str]:
    problems = []
    for line in message.lines:
        for piece in line:
            if not isinstance(piece, Mention):
                continue
            if not is_visible(piece.display_name):
                problems.append(f"{key}: an empty or invisible name {piece.display_name!r}")
            member = members.get((piece.platform, piece.user_id))
            if member is None:
                problems.append(f"{key}: names {piece.display_name!r}, who erased themselves")
            elif (
                event_id is not None
                and (event_id, member.id) not in current
                and (event_id, member.id) not in organisers
            ):
                problems.append(f"{key}: names {piece.display_name!r}, who left the event")
    text = message.plain_text()
    if re.search(r"\b(Meet|for|to|with|and|meet|Left out:) [\u200b\u200c\u200d\u2060\ufeff]*[!?.,—+]", text):
        problems.append(f"{key}: a name is missing in {text[:80]!r}")
    if SINGULAR_AS_PLURAL.search(text):
        problems.append(f"{key}: a count of one in the plural in {text[:120]!r}")
    return problems


@pytest.mark.parametrize("fresh_database", ["sqlite", "postgresql"], indirect=True)
def test_nothing_anyone_does_breaks_the_invariants(fresh_database: Callable[[], Any]) -> None:
    Icebreaker.make_database = staticmethod(fresh_database)  # type: ignore[method-assign]
    run_state_machine_as_test(
        Icebreaker,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=os.environ.get("ICEBREAKER_FUZZ_SEED") is None and os.environ.get("CI") == "true",
            database=None,
        ),
    )
