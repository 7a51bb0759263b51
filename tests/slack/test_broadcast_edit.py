"""A broadcast preview's Edit on Slack: a modal prefilled with the draft (views.open with the press's trigger);
its submission rewrites the same draft and shows the new preview in place of the old. Nothing is queued before
Send, and an Edit on a preview that was sent or cancelled says what became of it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.core import Core
from storage.models import Broadcast, BroadcastState, Event, OutboxMessage
from tests.slack.conftest import Harness
from tests.slack.stand_in import visible_text
from tests.slack.test_end_to_end import buttons

OLIVIA, ADA = "UORG0001", "UADA0001"


async def organiser_with_a_member(slack: Harness, core: Core) -> str:
    """Olivia's event with Ada in it; returns Olivia's DM channel."""
    slack.api.add_user(OLIVIA, "Olivia")
    slack.api.add_user(ADA, "Ada")
    await slack.slack.command(OLIVIA, 'newevent "Tweetup" 2026-12-10 18:30 Europe/London')
    await slack.settle()
    async with core.database.transaction() as session:
        code = (await session.scalars(select(Event.join_code))).one()
    await slack.slack.command(ADA, f"join {code}")
    await slack.settle()
    dm = slack.api.dm_of(OLIVIA)
    assert dm is not None
    return dm


async def queued(core: Core) -> int:
    async with core.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def drafts(core: Core) -> list[tuple[int, str, str, str]]:
    async with core.database.transaction() as session:
        rows = (await session.scalars(select(Broadcast).order_by(Broadcast.id))).all()
        return [(row.id, row.state, row.audience, row.text) for row in rows]


def field_of(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    element: dict[str, Any] = block["element"]
    return element


async def press(slack: Harness, dm: str, message: dict[str, Any], label: str) -> None:
    await slack.slack.press(OLIVIA, buttons(message)[label], channel=dm, ts=message["ts"])
    await slack.settle()


async def test_edit_opens_the_draft_prefilled_and_the_submission_rewrites_it(slack: Harness, sqlite_core: Core) -> None:
    dm = await organiser_with_a_member(slack, sqlite_core)
    await slack.slack.command(OLIVIA, "broadcast to answered at 2026-12-09 09:00 Doors at 18:00")
    await slack.settle()
    preview = slack.api.posts_to(dm)[-1]
    assert "Preview of your broadcast" in visible_text(preview)
    before = await queued(sqlite_core)

    await press(slack, dm, preview, "Edit")
    [opened] = slack.api.calls_to("views.open")  # was: the preview replaced by a command to copy
    view = opened["view"]
    assert opened["trigger_id"] and view["callback_id"] == "broadcast"
    assert field_of(view, "text")["initial_value"] == "Doors at 18:00"
    assert field_of(view, "audience")["initial_option"]["value"] == "answered"
    assert field_of(view, "send_date")["initial_date"] == "2026-12-09"
    assert field_of(view, "send_time")["initial_time"] == "09:00"
    [(draft_id, state, _, _)] = await drafts(sqlite_core)
    assert state == BroadcastState.DRAFT  # opening the modal changes nothing
    assert json.loads(view["private_metadata"])["draft"] == str(draft_id)

    await slack.slack.submit(
        OLIVIA,
        "broadcast",
        {"text": {"value": "Doors at 19:00"}, "audience": {"selected_option": {"value": "all"}}},
        private_metadata=view["private_metadata"],
    )
    await slack.settle()
    assert await drafts(sqlite_core) == [(draft_id, BroadcastState.DRAFT, "all", "Doors at 19:00")]  # the same draft
    assert await queued(sqlite_core) == before  # nothing queued before Send
    shown = slack.api.messages[(dm, preview["ts"])]  # the preview, rewritten in place
    assert "Doors at 19:00" in visible_text(shown) and "When: now" in visible_text(shown)
    assert set(buttons(shown)) == {"Send", "Edit", "Cancel"}
    assert slack.api.posts_to(dm)[-1]["ts"] == preview["ts"]

    edit = buttons(shown)["Edit"]
    await press(slack, dm, shown, "Send")
    assert await queued(sqlite_core) > before
    async with sqlite_core.database.transaction() as session:
        payloads = json.dumps([row.payload for row in (await session.scalars(select(OutboxMessage))).all()])
    assert "Doors at 19:00" in payloads and "Doors at 18:00" not in payloads

    await slack.slack.press(OLIVIA, edit, channel=dm, ts=shown["ts"])  # stale (an old client): it has gone ahead
    await slack.settle()
    assert len(slack.api.calls_to("views.open")) == 1
    assert "already gone ahead" in visible_text(slack.api.posts_to(dm)[-1])


async def test_edit_on_a_cancelled_preview_is_out_of_date(slack: Harness, sqlite_core: Core) -> None:
    dm = await organiser_with_a_member(slack, sqlite_core)
    await slack.slack.command(OLIVIA, "broadcast Doors at 18:00")
    await slack.settle()
    preview = slack.api.posts_to(dm)[-1]
    edit = buttons(preview)["Edit"]
    await press(slack, dm, preview, "Cancel")
    await slack.slack.press(OLIVIA, edit, channel=dm, ts=preview["ts"])  # an old client still shows it
    await slack.settle()
    assert slack.api.calls_to("views.open") == []
    assert "You cancelled that broadcast" in visible_text(slack.api.posts_to(dm)[-1])


async def test_a_refused_correction_leaves_the_draft_as_it_was(slack: Harness, sqlite_core: Core) -> None:
    dm = await organiser_with_a_member(slack, sqlite_core)
    await slack.slack.command(OLIVIA, "broadcast Doors at 18:00")
    await slack.settle()
    preview = slack.api.posts_to(dm)[-1]
    await press(slack, dm, preview, "Edit")
    [opened] = slack.api.calls_to("views.open")
    await slack.slack.submit(
        OLIVIA,
        "broadcast",
        {
            "text": {"value": "Doors at 19:00"},
            "audience": {"selected_option": {"value": "all"}},
            "send_date": {"selected_date": "2020-01-01"},
            "send_time": {"selected_time": "09:00"},
        },
        private_metadata=opened["view"]["private_metadata"],
    )
    await slack.settle()
    assert "already passed" in visible_text(slack.api.posts_to(dm)[-1])
    [(_, state, _, text)] = await drafts(sqlite_core)
    assert (state, text) == (BroadcastState.DRAFT, "Doors at 18:00")
    assert "Doors at 18:00" in visible_text(slack.api.messages[(dm, preview["ts"])])
