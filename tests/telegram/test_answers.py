"""Answers to commands under flood control: refused with a 429, an answer waits in the outbox for its
Retry-After and then goes out once; it is never dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from storage.models import OutboxMessage, OutboxStatus
from tests.telegram.conftest import Telegram, texts
from tests.telegram.stand_in import StandIn, User

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

IVY = User(501, "Ivy", username="ivy_joins")


async def test_an_answer_refused_with_a_429_waits_in_the_outbox(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    stand_in.fail_next(IVY.id, "retry_after", retry_after=30)
    calls = await telegram.say(IVY, "/help")
    assert [(c.method, c.status) for c in calls if c.method == "sendMessage"] == [("sendMessage", 429)]
    async with sqlite_core.database.read() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    later = clock.now() + timedelta(seconds=30)
    assert (row.address, row.status, row.not_before) == (str(IVY.id), OutboxStatus.QUEUED, later)
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    assert (await delivery.run_once())["sent"] == 0  # not before its Retry-After
    clock.advance(timedelta(seconds=30))
    assert (await delivery.run_once())["sent"] == 1
    [answer] = [m["text"] for m in stand_in.bot_messages(IVY.id)]  # once, not twice
    assert "What I can do" in answer
    assert texts(calls) == []
