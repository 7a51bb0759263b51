"""The dashboard shows the same numbers as the chat's ``stats``, whatever happened in the event.

Hypothesis draws what each member of a fresh event did (joined, answered which options, paused, left, RSVP,
said hi, met, rated, came); the test reads the numbers off the chat's reply and off the dashboard's page.
"""

from __future__ import annotations

import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.messages import Sender
from storage.models import Intro, Member, Round
from tests.dashboard.browser import chat_numbers
from tests.dashboard.conftest import Site, sign_in
from tests.fakes import person

OPTIONS = ["Python", "Hiking", "Jazz", "$x$ <b>", "Data"]
member_plans = st.fixed_dictionaries(
    {
        "picks": st.none() | st.lists(st.sampled_from(OPTIONS), unique=True, max_size=3),
        "then": st.sampled_from(["stay", "stay", "pause", "leave"]),
        "rsvp": st.sampled_from([None, "yes", "no"]),
        "hi": st.booleans(),
        "met": st.sampled_from([None, "yes", "not_yet", "no"]),
        "rating": st.integers(1, 5),
        "came": st.sampled_from([None, "yes", "no"]),
    }
)
runs = iter(range(1_000_000))


def page_numbers(html: str) -> dict[str, str]:
    rows = dict(re.findall(r'<tr data-label="([^"]+)">.*?data-value="(\d+)"', html, re.S))
    figures = dict(re.findall(r'<dd data-key="(\w+)">([^<]+)</dd>', html))
    return {"rows": rows, **figures}  # type: ignore[dict-item]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(member_plans, min_size=0, max_size=9), st.booleans())
async def test_the_dashboard_and_stats_agree(site: Site, plans: list[dict[str, object]], match: bool) -> None:
    run = next(runs)  # every example is a new event with its own organiser and members, in the same database
    organiser = person(f"Org{run}")
    code = await site.create(organiser, f"Event {run}")
    await site.talk.say(organiser, "/poll " + ", ".join(OPTIONS))
    event_id = await site.event_id(code)
    members: list[tuple[Sender, dict[str, object]]] = []
    for index, plan in enumerate(plans):
        who = person(f"M{run}x{index}")
        await site.talk.say(who, f"/join {code}")
        picks = plan["picks"]
        if isinstance(picks, list):
            await site.talk.press(who, "Choose my interests")
            for label in picks:
                await site.talk.press(who, label)
            await site.talk.press(who, "Done")
        if plan["rsvp"]:
            await site.press(who, "rsvp", f"{event_id}.{plan['rsvp']}")
        if plan["came"]:
            await site.press(who, "attended", f"{event_id}.{plan['came']}")
        members.append((who, plan))
    if match and len(plans) >= 2:
        await site.talk.match_now(organiser)
        async with site.database.transaction() as session:
            intros = (
                await session.execute(
                    select(Intro.id, Intro.group_id, Member.platform_user_id)
                    .join(Member, Member.id == Intro.member_id)
                    .join(Round, Round.id == Intro.round_id)
                    .where(Round.event_id == event_id, Intro.group_id.is_not(None))
                )
            ).all()
        plan_of = {who.user_id: plan for who, plan in members}
        for intro_id, group_id, user_id in intros:
            plan, who = plan_of[user_id], person(user_id.title())
            if plan["hi"]:
                await site.press(who, "hi", str(group_id))
            if plan["met"]:
                await site.press(who, "met", f"{intro_id}.{plan['met']}")
                if plan["met"] == "yes":
                    await site.press(who, "rate", f"{intro_id}.{plan['rating']}")
    for who, plan in members:
        if plan["then"] == "pause":
            await site.talk.say(who, "/pause 2")
        elif plan["then"] == "leave":
            await site.talk.say(who, "/leave")
            await site.talk.press(who, "Leave")

    chat = chat_numbers(await site.talk.say(organiser, "/stats"))
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client, organiser)
        html = (await client.get(f"/dashboard/events/{event_id}")).text
        events = (await client.get("/dashboard/")).text
    shown = page_numbers(html)
    rows = shown.pop("rows")
    assert isinstance(rows, dict)
    funnel = ["Joined", "Answered", "Matched", "Said hi", "Met", "Attended"]
    keys = ["joined", "answered", "matched", "said_hi", "met", "attended"]
    assert [rows[label] for label in funnel] == [chat[key] for key in keys]
    assert [rows["Coming"], rows["Not coming"], rows["No answer"]] == [
        chat["rsvp_yes"], chat["rsvp_no"], chat["rsvp_unknown"]
    ]  # fmt: skip
    assert {key: shown[key] for key in ("still_in", "left", "paused", "unreachable", "missed", "rating")} == {
        key: chat[key] for key in ("still_in", "left", "paused", "unreachable", "missed", "rating")
    }
    for label in OPTIONS:
        escaped = label.replace("<", "&lt;").replace(">", "&gt;")
        assert rows[escaped] == chat[f"interest:{label}"]
    assert f"<b>{chat['joined']}</b> joined" in events
