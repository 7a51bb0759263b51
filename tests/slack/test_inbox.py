"""Durable Slack inbound: events and core button presses are committed to the inbox before Bolt's ack, so a
replica that dies after acknowledging leaves them for another; slash commands are acknowledged first (not kept).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.delivery import Delivery
from bot.inbound import Inbound
from storage.models import InboxUpdate
from tests.slack.conftest import Harness

USER = "U0INBOX01"


async def _rows(slack: Harness) -> list[InboxUpdate]:
    database = slack.adapter.listeners.core.database  # type: ignore[attr-defined]
    async with database.read() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id))).all())


async def test_an_event_is_recorded_before_the_ack_and_another_replica_handles_it(slack: Harness) -> None:
    slack.api.add_user(USER, "Ivy")
    assert slack.adapter.inbound is not None
    await slack.adapter.inbound.stop()  # this replica acknowledges, then "dies" before handling anything
    dm = slack.api.dm_of(USER)
    hello = {"type": "message", "channel": dm, "channel_type": "im", "user": USER, "text": "/help"}
    assert (await slack.slack.event(hello, event_id="Ev0INBOX1")).status_code == 200
    assert (await slack.slack.event(hello, event_id="Ev0INBOX1", retry=1)).status_code == 200  # Slack's retry
    [row] = await _rows(slack)
    assert (row.platform, row.external_id, row.chat, row.status) == ("slack", "Ev0INBOX1", USER, "queued")
    assert dm is not None and slack.api.posts_to(dm) == []  # nothing handled yet
    core = slack.adapter.listeners.core
    other = Inbound(core.database, core.clock, worker_id="another-replica")  # type: ignore[attr-defined]
    other.register("slack", slack.adapter.listeners.process)
    assert await other.run_once() == 1
    [row] = await _rows(slack)
    assert row.status == "done"
    assert slack.api.posts_to(dm)  # the answer went to Ivy's DM


async def test_a_core_button_press_is_recorded_a_slash_command_is_not(slack: Harness) -> None:
    slack.api.add_user(USER, "Ivy")
    assert slack.adapter.inbound is not None
    await slack.adapter.inbound.stop()
    pressed = await slack.slack.press(USER, "interests:1", channel=slack.api.dm_of(USER) or "", ts="1700000000.000100")
    assert pressed.status_code == 200
    [row] = await _rows(slack)
    assert row.external_id.startswith("action:") and row.payload["type"] == "block_actions"
    assert (await slack.slack.command(USER, "help")).status_code == 200
    await slack.adapter.listeners.inflight.wait()  # the command's listener ran (the inbox worker is stopped)
    assert slack.api.posts_to(slack.api.dm_of(USER) or "")  # and answered
    assert len(await _rows(slack)) == 1  # answered within Slack's 3 s instead (documented: not durable)


async def test_an_answer_refused_with_a_429_waits_in_the_outbox(slack: Harness, clock: ManualClock) -> None:
    """Flood control on an answer to a command: it is queued for after Retry-After, not dropped."""
    slack.api.add_user(USER, "Ivy")
    dm = slack.api.dm_of(USER)
    slack.api.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30, channel=dm)
    assert (await slack.slack.command(USER, "help")).status_code == 200
    await slack.settle()
    assert dm is not None and slack.api.posts_to(dm) == []  # refused
    core = slack.adapter.listeners.core
    delivery = Delivery(core.database, {"slack": slack.adapter}, clock)  # type: ignore[attr-defined]
    assert (await delivery.run_once())["sent"] == 0  # not before its Retry-After
    clock.advance(timedelta(seconds=31))
    assert (await delivery.run_once())["sent"] == 1
    assert "What I can do" in str(slack.api.posts_to(dm)[-1])
