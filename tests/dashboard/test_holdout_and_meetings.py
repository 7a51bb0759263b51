"""The dashboard's event page shows what /stats shows of the holdout and of meetings (bot.stats is the source)."""

from __future__ import annotations

import html
import re

import httpx

from tests.dashboard.conftest import Site, sign_in
from tests.fakes import person


async def test_the_event_page_has_the_holdout_and_the_meetings_of_stats(site: Site) -> None:
    organiser = person("Hana")
    code = await site.create(organiser, "Holdout night")
    await site.talk.say(organiser, "/poll Python, Hiking")
    await site.talk.say(organiser, "/rules holdout 30")
    for index in range(12):
        who = person(f"H{index:02d}")
        await site.talk.say(who, f"/join {code}")
        await site.talk.press(who, "Choose my interests")
        await site.talk.press(who, "Python")
        await site.talk.press(who, "Done")
    await site.talk.match_now(organiser)
    stats = await site.talk.say(organiser, "/stats")
    event_id = await site.event_id(code)
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client, organiser)
        page = html.unescape((await client.get(f"/dashboard/events/{event_id}")).text)
    holdout = re.search(r"Do introductions work\? (\d+ % of members are held out at random \(seed \d+\)\.)", stats)
    assert holdout and holdout.group(1) in page
    shown = [
        line for line in stats.splitlines() if line.startswith(("Introduced:", "Held out:", "Told me", "Attendance:"))
    ]
    assert len(shown) == 4
    for line in shown:
        assert line in page, line
    meetings = re.search(r"Meetings booked: (\d+)  ·  meetings held: (\d+)", stats)
    assert meetings
    assert f'data-key="meetings_booked">{meetings.group(1)}<' in page
    assert f'data-key="meetings_held">{meetings.group(2)}<' in page
