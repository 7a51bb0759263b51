"""Guided forms keep their state in the database: a typo or a restart loses nothing."""

from __future__ import annotations

import random

from sqlalchemy import select

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from storage.database import Database
from storage.models import Conversation, Event, InterestOption
from tests.core.conftest import OLIVIA
from tests.fakes import Talk


async def test_guided_newevent_survives_a_typo_and_a_restart(database: Database, clock: ManualClock) -> None:
    first = Talk(Core(database, clock, Policy(), rng=random.Random(3)))
    assert "What's the event called?" in await first.say(OLIVIA, "/newevent")
    assert "What date" in await first.say(OLIVIA, "Winter <b>Mixer</b>")
    retry = await first.say(OLIVIA, "10/12/2026")
    assert "not a date I can read" in retry and "What date" in retry
    assert "What time" in await first.say(OLIVIA, "2026-12-10")

    restarted = Talk(Core(database, clock, Policy(), rng=random.Random(4)))  # a new process, same database
    assert "Which time zone?" in await restarted.say(OLIVIA, "19:00")
    assert "not a time zone I know" in await restarted.say(OLIVIA, "London")
    done = await restarted.say(OLIVIA, "Europe/London")
    assert "Created Winter <b>Mixer</b>, Thu 10 Dec 2026, 19:00 (Europe/London)" in done
    async with database.transaction() as session:
        assert (await session.scalars(select(Conversation))).all() == []
        assert (await session.scalars(select(Event.name))).one() == "Winter <b>Mixer</b>"


async def test_guided_form_rejects_a_past_date_at_the_date_step(talk: Talk) -> None:
    await talk.say(OLIVIA, "/newevent")
    await talk.say(OLIVIA, "Gala")
    assert "has already passed" in await talk.say(OLIVIA, "2026-01-01")


async def test_guided_poll_and_cancel(talk: Talk, core: Core) -> None:
    await talk.say(OLIVIA, '/newevent "Gala" 2026-12-10 18:30 Europe/London')
    assert "Send the interest options" in await talk.say(OLIVIA, "/poll")
    assert "at least two options" in await talk.say(OLIVIA, "Python")
    assert "2 options" in await talk.say(OLIVIA, "Python, Hiking")
    await talk.say(OLIVIA, "/newevent")
    assert "Cancelled" in await talk.say(OLIVIA, "/cancel")
    assert "Nothing to cancel" in await talk.say(OLIVIA, "/cancel")
    async with core.database.transaction() as session:
        labels = (await session.scalars(select(InterestOption.label).order_by(InterestOption.position))).all()
    assert labels == ["Python", "Hiking"]


async def test_another_command_drops_the_form_and_says_so(talk: Talk) -> None:
    await talk.say(OLIVIA, "/newevent")
    assert "dropped the form" not in await talk.say(OLIVIA, "/help")  # looking something up keeps it
    assert "What date" in await talk.say(OLIVIA, "Gala")
    assert "dropped the form" in await talk.say(OLIVIA, "/pause")
    assert "I answer to commands" in await talk.say(OLIVIA, "2026-12-10")


async def test_cancel_without_the_slash_stops_the_form_instead_of_naming_the_event(talk: Talk, core: Core) -> None:
    await talk.say(OLIVIA, "/newevent")
    assert "Cancelled: nothing was saved." in await talk.say(OLIVIA, "Cancel")
    assert "I answer to commands" in await talk.say(OLIVIA, "2026-12-10")  # the form is gone
    await talk.say(OLIVIA, "/newevent")
    await talk.say(OLIVIA, "Gala")
    assert "Cancelled" in await talk.say(OLIVIA, "stop.")
    async with core.database.transaction() as session:
        assert (await session.scalars(select(Event))).all() == []
        assert (await session.scalars(select(Conversation))).all() == []
