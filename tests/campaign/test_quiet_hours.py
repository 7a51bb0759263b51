"""A property of the whole product: no message to a person is ever due in their night (21:00–08:00 there).

Hypothesis draws an event (its zone, date and hour), a campaign whose steps it moves to any hour, rules
(group size, double opt-in, a time-zone preference), members in any zones on two platforms (one of them
holding group conversations), and an organiser who may run a round by hand at any hour. A manual clock then
walks the campaign from one due moment to the next; members answer what they get (yes or no to a proposal,
a message passed across platforms, an RSVP) the moment it arrives, whatever the hour is for anyone else.
Afterwards every row of the outbox (every intro, group conversation, proposal, freed notice, step, follow-up,
relay) is checked against the zone of each person it goes to; and a step held for a local hour arrives at that
hour (or at 08:00 when that hour is in the night).

Bounded in CI; ``ICEBREAKER_PROPERTY_EXAMPLES=500 pytest tests/campaign/test_quiet_hours.py`` searches longer.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.campaign.plan import DATED, EARLY_LEAD, PRE_EVENT
from bot.campaign.runner import CampaignRunner
from bot.campaign.timing import QUIET_END, at_local, awake, known_zone, outside_quiet_hours, step_due
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress, FreeText, Message, Sender
from storage.database import Database
from storage.models import CampaignStep, Event, Member, OutboxMessage, StepStatus
from tests.conftest import NOW
from tests.fakes import RecordingPlatform, Talk

EXAMPLES = int(os.environ.get("ICEBREAKER_PROPERTY_EXAMPLES", "12"))
ZONES = [
    "Europe/London", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland", "Asia/Kolkata", "Asia/Kathmandu",
    "America/St_Johns", "Pacific/Chatham", "Pacific/Honolulu", "Pacific/Kiritimati", "America/Sao_Paulo",
    "Australia/Lord_Howe", "Europe/Moscow", "America/New_York", "Africa/Lagos",
]  # fmt: skip
ORGANISER = Sender("console", "olivia", "Olivia", "olivia", None, "Europe/London")
INTERESTS = ["Python", "Hiking", "Jazz"]

zones = st.one_of(
    st.sampled_from(ZONES),
    st.timezone_keys(allow_prefix=False).filter(lambda zone: "/" in zone and known_zone(zone) is not None),
)
hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file; each example starts from a copy (migrating costs more than the example)."""
    path = tmp_path_factory.mktemp("quiet") / "template.db"

    async def migrate() -> None:
        database = Database(f"sqlite:///{path}")
        await database.upgrade()
        await database.dispose()

    asyncio.run(migrate())
    return path


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_message_is_ever_due_in_its_recipients_night(template: Path, tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / f"example-{random.getrandbits(32)}.db"
    shutil.copy(template, path)
    try:
        asyncio.run(_example(Database(f"sqlite:///{path}"), data))
    finally:
        path.unlink(missing_ok=True)


async def _example(database: Database, data: st.DataObject) -> None:
    clock = ManualClock(NOW)
    core = Core(database, clock, Policy(group_dm_platforms=frozenset({"console"})), rng=random.Random(7))
    talk = Talk(core)
    console, telegram = RecordingPlatform(group_dm=True), RecordingPlatform(platform="telegram")
    delivery = Delivery(database, {"console": console, "telegram": telegram}, clock)
    try:
        start_zone = data.draw(zones, "event zone")
        day = (NOW + timedelta(days=data.draw(st.integers(16, 120), "days ahead"))).date()
        start = data.draw(st.builds(time, st.integers(6, 22), st.sampled_from([0, 30])), "start")
        reply = await talk.say(ORGANISER, f'/newevent "Night watch" {day} {start:%H:%M} {start_zone}')
        code = reply.split("Join code: ")[1].split()[0]
        await talk.say(ORGANISER, "/poll " + ", ".join(INTERESTS))
        await talk.say(ORGANISER, f"/rules size {data.draw(st.sampled_from([2, 2, 3]), 'size')}")
        if data.draw(st.booleans(), "double opt-in"):
            await talk.say(ORGANISER, "/rules optin on")
        if data.draw(st.booleans(), "time-zone preference"):
            await talk.say(ORGANISER, "/rules tz 3")
        await _move_steps(database, data)
        people = await _join(talk, code, data)
        by_hand = NOW + timedelta(hours=data.draw(st.integers(0, 24 * 40), "organiser's /match now after"))
        await _walk(core, talk, clock, delivery, (console, telegram), people, by_hand, data)
        await _check(database)
    finally:
        await database.dispose()


async def _move_steps(database: Database, data: st.DataObject) -> None:
    """Steps at any local hour (what /schedule move lets an organiser do)."""
    async with database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
        for step in (await session.scalars(select(CampaignStep).where(CampaignStep.day_offset.is_not(None)))).all():
            if data.draw(st.booleans(), f"move {step.key}"):
                at = data.draw(hours, f"{step.key} at")
                step.local_time = f"{at:%H:%M}"
                step.due_at = step_due(event.starts_at, event.time_zone, step.day_offset, step.local_time, None)
                if step.due_at <= NOW:
                    step.status = StepStatus.SKIPPED


async def _join(talk: Talk, code: str, data: st.DataObject) -> list[Sender]:
    people = []
    for number in range(data.draw(st.integers(2, 7), "members")):
        platform = data.draw(st.sampled_from(["console", "console", "telegram"]), f"platform {number}")
        zone = data.draw(st.one_of(st.none(), zones), f"zone {number}")
        who = Sender(platform, f"m{number}", f"Member {number}", None, None, zone)  # zone from the profile
        await talk.say(who, f"/join {code}")
        await talk.press(who, "Choose my interests")
        for label in data.draw(st.lists(st.sampled_from(INTERESTS), unique=True, max_size=2), f"interests {number}"):
            await talk.press(who, label)
        await talk.press(who, "Done")
        if platform == "telegram" or data.draw(st.booleans(), f"cross-platform {number}"):
            await talk.say(who, "/crossplatform on")
        people.append(who)
    return people


async def _walk(
    core: Core,
    talk: Talk,
    clock: ManualClock,
    delivery: Delivery,
    platforms: tuple[RecordingPlatform, ...],
    people: list[Sender],
    by_hand: datetime,
    data: st.DataObject,
) -> None:
    """From one due moment to the next until the campaign is over; members answer what reaches them."""
    runner = CampaignRunner(core.database, clock, core.policy)
    seen = 0
    for _ in range(400):
        upcoming = await _next_moment(core.database)
        if by_hand > clock.now() and (upcoming is None or by_hand < upcoming):
            clock.set(by_hand)
            await talk.match_now(ORGANISER)
        elif upcoming is None:
            return
        else:
            clock.set(max(clock.now(), upcoming))
        await runner.run_due()
        await delivery.run_once()
        sent = [(address.user_id, message) for platform in platforms for address, message in platform.sent]
        for user_id, message in sent[seen:]:
            await _answer(core, people, user_id, message, data)
        seen = len(sent)
    raise AssertionError("the campaign never ended")


async def _next_moment(database: Database) -> datetime | None:
    async with database.transaction() as session:
        step = await session.scalar(
            select(func.min(CampaignStep.due_at)).where(
                CampaignStep.status == StepStatus.PENDING, CampaignStep.enabled.is_(True)
            )
        )
        early = await session.scalar(  # a step that names a day may fire up to EARLY_LEAD before its time
            select(func.min(CampaignStep.due_at)).where(
                CampaignStep.status == StepStatus.PENDING,
                CampaignStep.enabled.is_(True),
                CampaignStep.kind.in_(list(DATED)),
                CampaignStep.minutes_before.is_(None),
            )
        )
        row = await session.scalar(select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "queued"))
    early = early - EARLY_LEAD if early is not None else None
    moments = [moment for moment in (step, row, early) if moment is not None]
    return min(moments) if moments else None


async def _answer(core: Core, people: list[Sender], user_id: str, message: Message, data: st.DataObject) -> None:
    """Whoever got ``message`` answers it now: a group conversation is answered by one of its members."""
    members = [p for p in people if p.user_id in user_id.split(",")]
    if not members:
        return
    who = data.draw(st.sampled_from(members), "who answers")
    buttons = {button.action: button for row in message.buttons for button in row}
    if "optin" in buttons:
        yes, no = [b for row in message.buttons for b in row if b.action == "optin"]
        choice = data.draw(st.sampled_from([yes, no, None]), "opt in?")
        if choice is not None:
            await core.handle(ButtonPress(who, choice.action, choice.value))
    if "relay" in buttons and data.draw(st.booleans(), "write across?"):
        await core.handle(ButtonPress(who, "relay", buttons["relay"].value))
        [preview] = await core.handle(FreeText(who, "Hello from the other platform"))
        send = [b for row in preview.message.buttons for b in row if b.action == "relaysend"]
        if send:
            await core.handle(ButtonPress(who, send[0].action, send[0].value))
    if "rsvp" in buttons and data.draw(st.booleans(), "rsvp?"):
        await core.handle(ButtonPress(who, "rsvp", buttons["rsvp"].value))


async def _check(database: Database) -> None:
    async with database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
        members = {(m.platform, m.platform_user_id): m for m in (await session.scalars(select(Member))).all()}
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.address_kind != "channel"))).all()
        steps = {step.id: step for step in (await session.scalars(select(CampaignStep))).all()}
    assert rows, "the campaign sent nothing at all"
    for row in rows:
        recipients = [members[(row.platform, user_id)] for user_id in row.address.split(",")]
        for member in recipients:
            zone = member.time_zone or event.time_zone
            local = row.not_before.astimezone(ZoneInfo(zone))
            assert awake(row.not_before, zone), f"{row.key} to {member.display_name} due at {local:%a %H:%M} {zone}"
        if row.key.startswith("step:"):
            _at_its_hour(row, steps[int(row.key.split(":")[1])], event, recipients[0])


def _at_its_hour(row: OutboxMessage, step: CampaignStep, event: Event, member: Member) -> None:
    """A step meant for a local hour reaches the member at that hour in their zone (east of the event's too),
    or at 08:00 when that hour is in their night, or, for a pre-event step whose hour there comes only after
    the start, at the first waking moment after it fired."""
    if step.local_time is None:
        return
    zone = member.time_zone or event.time_zone
    local = row.not_before.astimezone(ZoneInfo(zone))
    wanted = time.fromisoformat(step.local_time)
    if local.time() == wanted or local.utcoffset() != at_local(local.date(), wanted, zone).utcoffset():
        return  # at its hour (or on a daylight-saving day, when that hour moved or did not exist)
    if step.kind in DATED:  # it names a day: the hour on the step's date there, or at once when that had passed
        there = at_local(step.due_at.astimezone(ZoneInfo(event.time_zone)).date(), wanted, zone)
        forward = outside_quiet_hours(row.created_at, zone)
        if there < row.created_at and row.not_before == forward:
            return
        if local.time() == QUIET_END and not awake(there, zone) and local.date() >= there.date():
            return  # its hour is in the night there: 08:00 (the same morning, or the next)
        if row.not_before == forward < event.starts_at <= outside_quiet_hours(there, zone):
            return  # its hour there comes only at or after the start: brought forward
        raise AssertionError(f"{row.key} at {local:%a %d %H:%M} in {zone}, not at {wanted:%H:%M} ({there})")
    there = next(  # the step's hour in the member's zone: on its date, or the next one if that had passed
        moment
        for offset in range(-1, 3)
        if (moment := at_local(step.due_at.astimezone(ZoneInfo(event.time_zone)).date() + timedelta(days=offset),
                               wanted, zone)) >= step.due_at
    )  # fmt: skip
    if local.time() == QUIET_END and not awake(there, zone):
        return
    forward = outside_quiet_hours(row.created_at, zone)
    if step.kind in PRE_EVENT and row.not_before == forward < event.starts_at <= outside_quiet_hours(there, zone):
        return
    raise AssertionError(f"{row.key} at {local:%a %d %H:%M} in {zone}, not at {wanted:%H:%M} ({there})")
