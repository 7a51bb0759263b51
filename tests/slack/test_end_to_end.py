"""The whole Slack path on the real core and SQLite: signed requests in, the stand-in Web API out.

An organiser creates an event and its poll from the App Home's modals, four members join with
``/icebreaker join CODE`` and answer the poll by buttons (updated in place), the organiser broadcasts
(delivered through the outbox, one DM each, a 429 re-queued, a vanished user marked unreachable), and a
matching round gives each pair one group DM naming both.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Command, Sender
from storage.database import Database
from storage.models import Event, Member, OutboxMessage, OutboxStatus
from tests.slack.conftest import Harness, _harness
from tests.slack.stand_in import live_markup, visible_text

ORGANISER, ADA, BOB, SNEAKY, DAN = "UORG0001", "UADA0001", "UBOB0001", "UEVE0001", "UDAN0001"
GHOST = "UGHOST01"
NAMES = {ADA: "Ada", BOB: "Bob", SNEAKY: "&lt;!channel&gt;", DAN: "Dan"}


@pytest.fixture
async def e2e(sqlite_database: Database, clock: ManualClock, api: Any) -> AsyncIterator[Harness]:
    core = Core(sqlite_database, clock, Policy(group_dm_platforms=frozenset({"slack"})), rng=random.Random(1))
    async for harness in _harness(core, api):
        harness.api.add_user(ORGANISER, "Olivia")
        harness.api.add_user(ADA, "Ada")
        harness.api.add_user(BOB, "Bob")
        harness.api.add_user(SNEAKY, "<!channel>")
        harness.api.add_user(DAN, "Dan")
        yield harness


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label -> value of every button in a posted or updated message."""
    return {
        e["text"]["text"]: e["value"]
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for e in block["elements"]
    }


def text_of(message: dict[str, Any]) -> str:
    return visible_text(message)


async def match_now(harness: Harness) -> None:
    """``/match now`` as the organiser, and its "Yes, send round N" (the campaign's intros were still to come)."""
    await harness.slack.command(ORGANISER, "match now")
    await harness.settle()
    dm = harness.api.dm_of(ORGANISER) or ""
    question = harness.api.posts_to(dm)[-1]
    [yes] = [value for label, value in buttons(question).items() if label.startswith("Yes, send round")]
    await harness.slack.press(ORGANISER, yes, channel=dm, ts=question["ts"])
    await harness.settle()


async def test_organiser_members_broadcast_and_a_round(
    e2e: Harness, sqlite_database: Database, clock: ManualClock
) -> None:
    slack, api = e2e.slack, e2e.api

    # The organiser's App Home, then the "Create event" modal.
    await slack.event({"type": "app_home_opened", "user": ORGANISER, "channel": api.dm_of(ORGANISER), "tab": "home"})
    await e2e.settle()
    [home] = api.calls_to("views.publish")
    assert home["user_id"] == ORGANISER and "Create event" in json.dumps(home["view"])
    await slack.press_home(ORGANISER, "home.newevent")
    await e2e.settle()
    [opened] = api.calls_to("views.open")
    assert opened["view"]["callback_id"] == "newevent"
    await slack.submit(
        ORGANISER,
        "newevent",
        {
            "name": {"value": "Tweetup"},
            "date": {"selected_date": "2026-12-10"},
            "time": {"selected_time": "18:30"},
            "zone": {"value": "Europe/London"},
        },
    )
    await e2e.settle()
    async with sqlite_database.transaction() as session:
        event = (await session.scalars(select(Event))).one()
    organiser_dm = api.dm_of(ORGANISER)
    assert organiser_dm is not None and event.join_code in text_of(api.posts_to(organiser_dm)[-1])

    # The poll, by modal.
    await slack.press_home(ORGANISER, "home.poll")
    await slack.submit(ORGANISER, "poll", {"options": {"value": "Python\nHiking\nJazz"}})
    await e2e.settle()
    assert "3 options" in text_of(api.posts_to(organiser_dm)[-1])

    # Four members join and answer the poll by buttons; the keyboard is updated in place.
    choices = {ADA: ["Python", "Hiking"], BOB: ["Python"], SNEAKY: ["Jazz"], DAN: ["Jazz", "Hiking"]}
    for user, picks in choices.items():
        await slack.command(user, f"join {event.join_code.lower()}")
        await e2e.settle()
        dm = api.dm_of(user)
        assert dm is not None
        welcome = api.posts_to(dm)[-1]
        await slack.press(user, buttons(welcome)["Choose my interests"], channel=dm, ts=welcome["ts"])
        await e2e.settle()
        keyboard = api.posts_to(dm)[-1]
        for pick in picks:
            current = api.messages[(dm, keyboard["ts"])]
            await slack.press(user, buttons(current)[pick], channel=dm, ts=keyboard["ts"])
            await e2e.settle()
            assert f"✅ {pick}" in buttons(api.messages[(dm, keyboard["ts"])])
        await slack.press(user, buttons(api.messages[(dm, keyboard["ts"])])["Done"], channel=dm, ts=keyboard["ts"])
        await e2e.settle()
        assert "Saved" in text_of(api.messages[(dm, keyboard["ts"])])
        assert len(api.posts_to(dm)) == 2  # the welcome and the keyboard; every answer was an update
    assert len(api.calls_to("chat.update")) == 2 + 1 + 1 + 2 + 4  # each pick, and four Done

    # A member Slack no longer knows (joined, then removed from the workspace before any DM).
    gone = Sender("slack", GHOST, "Ghost")
    await e2e.adapter.listeners.core.handle(Command(gone, "join", event.join_code))

    # The broadcast, by modal, goes through the outbox: one DM each, a 429 re-queued, the ghost unreachable,
    # and the organiser's progress message edited in place until it is the report.
    await slack.press_home(ORGANISER, "home.broadcast")
    await slack.submit(
        ORGANISER,
        "broadcast",
        {"text": {"value": "Doors at 18:00 <!everyone>"}, "audience": {"selected_option": {"value": "all"}}},
    )
    await e2e.settle()
    preview = api.posts_to(organiser_dm)[-1]  # as in the chat: a preview, and nothing queued before Send
    assert "Preview of your broadcast" in text_of(preview) and "(5 people)" in text_of(preview)
    await slack.press(ORGANISER, buttons(preview)["Send"], channel=organiser_dm, ts=preview["ts"])
    await e2e.settle()
    api.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30, channel=api.dm_of(BOB))
    delivery = Delivery(sqlite_database, {"slack": e2e.adapter}, clock)
    report = await delivery.run_once()
    assert (report["sent"], report["retrying"], report["unreachable"]) == (4, 1, 1)  # progress, Ada, Eve, Dan
    async with sqlite_database.transaction() as session:
        queued = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
        waiting = (await session.scalars(queued)).one()
        assert waiting.address == BOB
        assert waiting.not_before.replace(tzinfo=None) == (clock.now() + timedelta(seconds=30)).replace(tzinfo=None)
        ghost = (await session.scalars(select(Member).where(Member.platform_user_id == GHOST))).one()
        assert ghost.status == "unreachable"
    progress = api.posts_to(organiser_dm)[-1]
    assert "Sending: 3 of 5" in text_of(progress)
    clock.advance(timedelta(seconds=31))
    assert (await delivery.run_once())["sent"] == 1
    assert "Delivered: 4  ·  unreachable: 1  ·  failed: 0" in text_of(api.posts_to(organiser_dm)[-1])
    assert api.posts_to(organiser_dm)[-1]["ts"] == progress["ts"]  # the same message, edited
    for user in choices:
        dm = api.dm_of(user)
        assert dm is not None
        broadcasts = [p for p in api.posts_to(dm) if "Doors at 18:00" in text_of(p)]
        assert len(broadcasts) == 1
        assert "Doors at 18:00 <!everyone>" in text_of(broadcasts[0])  # shown as typed, as literal text
        assert "&lt;!everyone&gt;" in broadcasts[0]["text"]  # and escaped in the mrkdwn notification

    # A retried event (same event_id, X-Slack-Retry-Num: 1) is acked and changes nothing.
    hello = {"type": "message", "channel": organiser_dm, "channel_type": "im", "user": ORGANISER, "text": "hello"}
    await slack.event(hello, event_id="Ev0HELLO")
    await e2e.settle()
    calls = len(api.calls)
    retried = await slack.event(hello, event_id="Ev0HELLO", retry=1)
    await e2e.settle()
    assert retried.status_code == 200 and len(api.calls) == calls

    # A round: each pair gets one group DM naming both; the preview names them, escaped.
    await slack.command(ORGANISER, "match")
    await e2e.settle()
    preview = text_of(api.posts_to(organiser_dm)[-1])
    assert "Preview" in preview and "<!channel>" in preview
    await match_now(e2e)
    assert "is on its way" in text_of(api.posts_to(organiser_dm)[-1])
    opened_before = len(api.calls_to("conversations.open"))
    await delivery.run_once()
    groups = [args for args in api.calls_to("conversations.open")[opened_before:] if "," in args["users"]]
    assert sorted(sorted(group["users"].split(",")) for group in groups) == [sorted([ADA, BOB]), sorted([DAN, SNEAKY])]
    for group in groups:
        members = group["users"].split(",")
        channel = api.conversation(*members)
        assert channel is not None and channel.startswith("G")
        [intro] = api.posts_to(channel)
        assert all(f"<@{member}>" in text_of(intro) for member in members)  # Slack shows mentions as names
        assert all(NAMES[member] in intro["text"] for member in members)  # and the notification names them
    async with sqlite_database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.address_kind == "group"))).all()
    assert len(rows) == len(groups) and all(row.status == OutboxStatus.SENT for row in rows)

    # The member called <!channel> sees her profile in the App Home; nowhere is the name live markup.
    await slack.event({"type": "app_home_opened", "user": SNEAKY, "channel": api.dm_of(SNEAKY), "tab": "home"})
    await e2e.settle()
    assert "<!channel>" in visible_text(api.calls_to("views.publish")[-1]["view"])
    assert not [found for call in api.calls for found in live_markup(call.args)]
    failed = {call.method for call in api.calls if not call.ok}
    assert failed == {"chat.postMessage", "conversations.open"}  # the 429 and the vanished user, nothing else
