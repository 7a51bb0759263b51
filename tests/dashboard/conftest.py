"""The dashboard as it runs: the real core and services, the real HttpServer on port 0, a seeded event.

``Site.seed()`` builds an event the way people would (chat commands and button presses through
``Core.handle``): an organiser, a poll, members who join and answer, a round, hellos, meetings, RSVPs.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from adapters import dashboard
from adapters.http import HttpServer
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import ButtonPress, Sender
from bot.services.dashboard.service import Dashboard
from bot.services.dashboard.signin import DashboardLinks, signing_key
from bot.settings import Settings
from storage.database import Database
from storage.models import Event, Intro, Member, Round
from tests.fakes import Talk, person

OLIVIA = person("Olivia")
OSCAR = person("Oscar")  # organises another event
MEMBERS = [person(name) for name in ("Ann", "Ben", "Cat", "Dev", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo")]
INTERESTS = ["Python", "Recruiting", "Hiking"]
CHOICES = {
    "ann": ["Python", "Hiking"],
    "ben": ["Python"],
    "cat": ["Recruiting"],
    "dev": ["Python", "Recruiting"],
    "eve": ["Hiking"],
    "fay": ["Python"],
    "gus": ["Recruiting", "Hiking"],
    "hal": ["Python"],
}  # Ida and Jo never answer


@dataclass
class Site:
    database: Database
    clock: ManualClock
    core: Core
    links: DashboardLinks
    http: HttpServer
    talk: Talk = field(init=False)
    codes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.talk = Talk(self.core)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    async def link(self, who: Sender = OLIVIA) -> str:
        reply = await self.talk.say(who, "/dashboard")
        found = re.search(r"(http://\S+/dashboard/signin/\S+)", reply)
        assert found, reply
        return found.group(1)

    async def event_id(self, code: str) -> int:
        async with self.database.transaction() as session:
            event = (await session.scalars(select(Event).where(Event.join_code == code))).one()
            return event.id

    async def create(self, who: Sender, name: str) -> str:
        reply = await self.talk.say(who, f'/newevent "{name}" 2026-12-10 18:30 Europe/London')
        found = re.search(r"Join code: (\w+)", reply)
        assert found, reply
        self.codes[name] = found.group(1)
        return found.group(1)

    async def seed(self) -> str:
        """Olivia's "Tech Mixer" with ten members; returns its join code."""
        code = await self.create(OLIVIA, "Tech Mixer")
        await self.talk.say(OLIVIA, "/poll " + ", ".join(INTERESTS))
        for member in MEMBERS:
            await self.talk.say(member, f"/join {code}")
            picks = CHOICES.get(member.user_id)
            if picks is None:
                continue
            await self.talk.press(member, "Choose my interests")
            for label in picks:
                await self.talk.press(member, label)
            await self.talk.press(member, "Done")
        event_id = await self.event_id(code)
        await self.talk.say(person("Jo"), "/pause 2")
        assert "on its way" in await self.talk.match_now(OLIVIA)
        async with self.database.transaction() as session:
            intros = (
                await session.execute(
                    select(Intro.id, Intro.group_id, Member.platform_user_id)
                    .join(Member, Member.id == Intro.member_id)
                    .join(Round, Round.id == Intro.round_id)
                    .where(Round.event_id == event_id, Intro.group_id.is_not(None))
                    .order_by(Intro.id)
                )
            ).all()
        for index, (intro_id, group_id, user_id) in enumerate(intros):
            who = person(user_id.title())
            if index % 3 != 2:
                await self.press(who, "hi", str(group_id))
            if index % 2 == 0:
                await self.press(who, "met", f"{intro_id}.yes")
                await self.press(who, "rate", f"{intro_id}.{4 + index % 2}")
            elif index % 3 == 0:
                await self.press(who, "met", f"{intro_id}.not_yet")
        for index, member in enumerate(MEMBERS[:7]):
            await self.press(member, "rsvp", f"{event_id}.{'yes' if index % 3 else 'no'}")
        for member in MEMBERS[:3]:
            await self.press(member, "attended", f"{event_id}.yes")
        await self.talk.say(person("Hal"), "/leave")
        await self.talk.press(person("Hal"), "Leave")
        return code

    async def press(self, who: Sender, action: str, value: str) -> None:
        actions = await self.core.handle(ButtonPress(who, action, value))
        assert actions and "went wrong" not in actions[0].message.plain_text()


@pytest.fixture
async def site(sqlite_database: Database, clock: ManualClock) -> AsyncIterator[Site]:
    async for running in _site(sqlite_database, clock):
        yield running


@pytest.fixture
async def any_site(database: Database, clock: ManualClock) -> AsyncIterator[Site]:
    """The same, on SQLite and on PostgreSQL."""
    async for running in _site(database, clock):
        yield running


async def _site(database: Database, clock: ManualClock, settings: Settings | None = None) -> AsyncIterator[Site]:
    settings = settings or Settings(database_url="sqlite:///unused.db")
    http = HttpServer("127.0.0.1", 0)
    links = DashboardLinks(await signing_key(None, database, clock), lambda: dashboard.local_url(http))
    core = Core(database, clock, Policy(), rng=random.Random(1), links=links)
    dashboard.build(settings, Dashboard(database, clock, links), http)
    await http.start()
    try:
        yield Site(database, clock, core, links, http)
    finally:
        await http.stop()


async def sign_in(site: Site, client: httpx.AsyncClient, who: Sender = OLIVIA) -> httpx.Response:
    """Open a fresh link and press its button, as a browser would."""
    link = await site.link(who)
    page = await client.get(link)
    assert page.status_code == 200, page.text
    return await client.post("/dashboard/signin", data={"csrf": csrf_of(page.text), "token": link.rsplit("/", 1)[1]})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


from tests.dashboard.browser import browser  # noqa: E402, F401  (the fixture, for every test here)
