"""Answers outlive the replica that handles an update: kept in the outbox in the update's transaction, sent at
once by that replica, and by any replica's delivery if it died first or was refused for flood control."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.answers import LEASE, HeldAnswers
from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import Command, Sender
from storage.models import OutboxMessage, OutboxStatus
from tests.telegram.conftest import Telegram, texts
from tests.telegram.stand_in import StandIn, User

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

ANN = User(401, "Ann")


async def _answer_rows(core: Core) -> list[OutboxMessage]:
    async with core.database.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.like("reply:telegram:%")).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def test_an_answer_is_kept_in_the_outbox_and_recorded_sent(telegram: Telegram, sqlite_core: Core) -> None:
    update = telegram.stand_in.message_update(ANN, "/help")
    calls = await telegram.deliver(update)
    assert len(texts(calls)) == 1
    [row] = await _answer_rows(sqlite_core)
    assert row.key == f"reply:telegram:{update['update_id']}:0"
    assert row.status == OutboxStatus.SENT and row.address == str(ANN.id)
    assert row.platform_message_id == str(telegram.stand_in.bot_messages(ANN.id)[-1]["message_id"])


async def test_an_answer_refused_for_flood_control_waits_and_goes_once(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    stand_in.fail_next(ANN.id, "retry_after", retry_after=3)
    assert texts(await telegram.say(ANN, "/help")) == []  # refused: nothing arrived yet
    [row] = await _answer_rows(sqlite_core)
    assert row.status == OutboxStatus.QUEUED
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    assert (await delivery.run_once())["sent"] == 0  # not before the wait Telegram asked for
    clock.advance(timedelta(seconds=4))
    assert (await delivery.run_once())["sent"] == 1
    assert (await delivery.run_once())["sent"] == 0
    assert len([c for c in stand_in.calls_of("sendMessage", ANN.id) if c.status == 200]) == 1


async def test_answers_of_a_replica_that_died_after_the_commit_are_sent_by_another(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    """The dying replica: the core commits the update with its answers kept, and nothing is sent after."""
    dying = HeldAnswers(
        sqlite_core.database, clock, "dead-replica", platform="telegram", chat=str(ANN.id),
        address_kind="member", update_id="9001",
    )  # fmt: skip
    stand_in.add_user(ANN)
    actions = await sqlite_core.handle(Command(Sender("telegram", str(ANN.id), "Ann"), "help", ""), keep=dying.keep)
    assert actions and dying.holds(0, actions[0])
    assert stand_in.calls_of("sendMessage", ANN.id) == []
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    assert (await delivery.run_once())["sent"] == 0  # its lease still runs: it may yet send it itself
    clock.advance(LEASE + timedelta(seconds=1))
    assert (await delivery.run_once())["sent"] == 1
    assert len(stand_in.calls_of("sendMessage", ANN.id)) == 1
    assert not await dying.start(0)  # a replica that was only slow cannot send it a second time
