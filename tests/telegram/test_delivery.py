"""The port's outcomes: Bot API failures become the core's delivery results, checked through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram.ext import ApplicationBuilder

from adapters.telegram import TelegramAdapter
from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.errors import (
    ChatMoved,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Address, Button, MessageBuilder, bold, text
from storage.models import Event, Member, MemberStatus, OutboxMessage, OutboxStatus
from storage.outbox import NewMessage, enqueue
from tests.telegram.conftest import Telegram, texts
from tests.telegram.rules import units
from tests.telegram.stand_in import TOKEN, StandIn, User
from tests.telegram.test_conversation import OLIVIA, create_event

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

ANN = User(301, "Ann", username="ann_able")
BEN = User(302, "Ben")


async def event_with_members(telegram: Telegram) -> None:
    code = await create_event(telegram)
    for member in (ANN, BEN):
        assert "Welcome" in texts(await telegram.say(member, f"/join {code}"))[0]
    assert texts(await telegram.broadcast(OLIVIA, "See you at 18:30")) == []  # progress comes by the outbox


async def outbox_row(core: Core, user: User) -> tuple[OutboxMessage, Member]:
    async with core.database.transaction() as session:
        member = await session.scalar(select(Member).where(Member.platform_user_id == str(user.id)))
        assert member is not None
        query = select(OutboxMessage).where(OutboxMessage.member_id == member.id, OutboxMessage.key.like("broadcast:%"))
        row = await session.scalar(query)
        assert row is not None
        return row, member


async def test_blocked_member_becomes_unreachable(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    await event_with_members(telegram)
    stand_in.fail_next(ANN.id, "forbidden")
    report = await Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock).run_once()
    assert (report["sent"], report["unreachable"]) == (2, 1)  # Ben and Olivia's progress message; Ann
    row, member = await outbox_row(sqlite_core, ANN)
    assert row.status == OutboxStatus.UNREACHABLE and "blocked" in (row.error or "")
    assert member.status == MemberStatus.UNREACHABLE
    row, member = await outbox_row(sqlite_core, BEN)
    assert row.status == OutboxStatus.SENT and member.status == MemberStatus.ACTIVE
    assert row.platform_message_id == str(stand_in.bot_messages(BEN.id)[-1]["message_id"])


async def test_flood_control_requeues_the_row(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    await event_with_members(telegram)
    stand_in.fail_next(ANN.id, "retry_after", retry_after=7)
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    report = await delivery.run_once()
    assert (report["sent"], report["retrying"]) == (2, 1)
    row, _ = await outbox_row(sqlite_core, ANN)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 0
    assert row.not_before == clock.now() + timedelta(seconds=7)
    assert (await delivery.run_once())["sent"] == 0  # not due yet
    clock.advance(timedelta(seconds=7))
    assert (await delivery.run_once())["sent"] == 1
    row, _ = await outbox_row(sqlite_core, ANN)
    assert row.status == OutboxStatus.SENT
    assert "See you at 18:30" in stand_in.bot_messages(ANN.id)[-1]["text"]


async def test_send_maps_every_failure(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(ANN)
    group = stand_in.add_group(-4001, "Tech Mixer chat")
    to_ann, to_group, hello = Address("telegram", str(ANN.id)), Address("telegram", "-4001", "channel"), text("hi")

    stand_in.fail_next(group["id"], "migrate", migrate_to=-1009876543210)
    with pytest.raises(ChatMoved) as moved:
        await telegram.adapter.send(to_group, hello)
    assert moved.value.new_chat_id == "-1009876543210"

    stand_in.fail_next(ANN.id, "retry_after", retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await telegram.adapter.send(to_ann, hello)
    assert limited.value.retry_after == 3.0

    for kind, error in [
        ("forbidden", RecipientUnreachable),
        ("server_error", TransientDeliveryError),
        ("bad_request", PermanentDeliveryError),
    ]:
        stand_in.fail_next(ANN.id, kind)
        with pytest.raises(error):
            await telegram.adapter.send(to_ann, hello)

    with pytest.raises(RecipientUnreachable):  # never wrote to the bot: Telegram says "chat not found"
        await telegram.adapter.send(Address("telegram", "999"), hello)
    with pytest.raises(PermanentDeliveryError):
        await telegram.adapter.send(Address("telegram", f"{ANN.id},302", "group"), hello)

    delivered = await telegram.adapter.send(to_group, hello)
    assert (delivered.platform, delivered.chat_id) == ("telegram", "-4001")
    assert len(stand_in.calls_of("sendMessage")) == 7  # one call per attempt: PTB retried nothing behind our back


async def test_long_message_is_split_at_paragraphs(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(ANN)
    builder = MessageBuilder().line(bold("Programme 🎉" * 3))
    paragraph = "Talks and 🍕 pizza with people who share your interests. " * 13  # ~740 chars; emoji count twice
    for number in range(7):
        builder.blank().line(f"Part {number}. ", paragraph)
    builder.buttons(Button("Done", "picked", "1"))
    message = builder.build()
    assert len(message.plain_text()) > 5000

    delivered = await telegram.adapter.send(Address("telegram", str(ANN.id)), message)

    sent = stand_in.calls_of("sendMessage", ANN.id)
    assert len(sent) == 2 and stand_in.violations == []
    assert all(units(c.params["text"]) <= 4096 for c in sent)
    assert sent[0].params["text"].endswith("people who share your interests.")  # cut at a paragraph break
    assert sent[1].params["text"].startswith("Part ")
    assert "reply_markup" not in sent[0].params and sent[1].params["reply_markup"]["inline_keyboard"]
    assert delivered.message_id == str(stand_in.bot_messages(ANN.id)[-1]["message_id"])
    joined = " ".join(c.params["text"] for c in sent)
    assert joined.split() == message.plain_text().split()


async def test_edit_replaces_the_message(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(ANN)
    first = MessageBuilder().line("Pick one").buttons(Button("A", "pick", "1.1")).build()
    delivered = await telegram.adapter.send(Address("telegram", str(ANN.id)), first)
    await telegram.adapter.edit(delivered, text("Picked A"))
    await telegram.adapter.edit(delivered, text("Picked A"))  # "message is not modified" is not an error
    [message] = stand_in.bot_messages(ANN.id)
    assert message["text"] == "Picked A" and "reply_markup" not in message


async def test_a_linked_group_that_migrates_follows_its_new_id(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    code = await create_event(telegram)
    group = stand_in.add_group(-4001, "Tech Mixer chat")
    linked = texts(await telegram.say(OLIVIA, f"/link {code}", group))
    assert linked[0].startswith("Linked: this chat is now the home of Tech Mixer.")
    assert texts(await telegram.broadcast(OLIVIA, "Doors open at 18:00")) == []
    stand_in.add_group(-1004001, "Tech Mixer chat")  # the supergroup Telegram made of it
    stand_in.fail_next(-4001, "migrate", migrate_to=-1004001)

    report = await Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock).run_once()

    assert report["failed"] == 0
    [posted] = stand_in.bot_messages(-1004001)
    assert posted["text"] == "📣 Tech Mixer — from Olivia Organiser\nDoors open at 18:00"
    async with sqlite_core.database.transaction() as session:
        event = await session.scalar(select(Event).where(Event.join_code == code))
        assert event is not None and event.channel_id == "-1004001"


async def test_an_answer_after_the_client_timeout_is_uncertain_never_resent(
    stand_in: StandIn, sqlite_core: Core, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram took the message but answered after PTB's read timeout: sending it again would deliver it
    twice, so the row is 'uncertain', with a log line, and stays that way."""
    application = ApplicationBuilder().token(TOKEN).base_url(stand_in.api_url).updater(None).read_timeout(0.3).build()
    adapter = TelegramAdapter(sqlite_core, application)
    await adapter.start()
    try:
        async with sqlite_core.database.transaction() as session:
            note = NewMessage("note:ann", "telegram", str(ANN.id), text("Doors open at 18:00").to_dict())
            await enqueue(session, [note], clock.now())
        stand_in.message_update(ANN, "/start")  # Ann's chat with the bot exists
        stand_in.answer_late(ANN.id, 1.5)
        delivery = Delivery(sqlite_core.database, {"telegram": adapter}, clock)
        report = await delivery.run_once()
        assert report["uncertain"] == 1 and report["sent"] == 0
        clock.advance(timedelta(hours=1))  # long past any retry backoff
        assert (await delivery.run_once())["uncertain"] == 0
        await stand_in.wait_for(lambda: len(stand_in.bot_messages(ANN.id)) == 1)  # it did arrive, once
        async with sqlite_core.database.transaction() as session:
            [row] = (await session.scalars(select(OutboxMessage))).all()
        assert row.status == OutboxStatus.UNCERTAIN and row.attempts == 1
        assert "outbox row marked uncertain" in caplog.text
        assert [c.method for c in stand_in.calls if c.chat_id == ANN.id] == ["sendMessage"]
    finally:
        await adapter.stop()


async def test_a_refused_connection_is_retried_not_uncertain(sqlite_core: Core, clock: ManualClock) -> None:
    """Nothing reached Telegram when the connection is refused: that is a plain retry."""
    stopped = StandIn()
    await stopped.start()
    application = ApplicationBuilder().token(TOKEN).base_url(stopped.api_url).updater(None).build()
    adapter = TelegramAdapter(sqlite_core, application)
    await adapter.start()
    await stopped.stop()
    try:
        async with sqlite_core.database.transaction() as session:
            note = NewMessage("note:ann", "telegram", str(ANN.id), text("Doors open at 18:00").to_dict())
            await enqueue(session, [note], clock.now())
        report = await Delivery(sqlite_core.database, {"telegram": adapter}, clock).run_once()
        assert (report["retrying"], report["uncertain"]) == (1, 0)
    finally:
        await adapter.stop()
