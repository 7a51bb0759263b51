"""The outbox: written with the change that caused it, sent once, outcomes recorded, crashes never re-sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from bot.errors import ChannelUnavailable, ChatMoved, RateLimited, RecipientUnreachable, TransientDeliveryError
from bot.messages import Chat, Command
from storage import outbox
from storage.models import Event, Member, OutboxMessage
from storage.outbox import NewMessage
from tests.core.conftest import ALICE, BOB, OLIVIA
from tests.fakes import RecordingPlatform, Talk


async def _rows(core: Core) -> list[OutboxMessage]:
    async with core.database.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def _joined(talk: Talk, code: str) -> None:
    for who in (ALICE, BOB):
        await talk.say(who, f"/join {code}")


async def test_broadcast_is_delivered_once(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await _joined(talk, code)
    await talk.say(OLIVIA, "/broadcast <!channel> Doors open at 18:00")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    report = await delivery.run_once()
    assert report["sent"] == 3  # two members and the organiser's progress message
    assert sorted(a.user_id for a, _ in platform.sent) == ["alice", "bob", "olivia"]
    assert "Sending: 0 of 2" in platform.texts_to("olivia")[0]
    assert "<!channel> Doors open at 18:00" in platform.texts_to("alice")[0]
    assert "finished" in platform.edits[-1][1].plain_text() and "Delivered: 2" in platform.edits[-1][1].plain_text()
    assert (await delivery.run_once())["sent"] == 0
    assert {row.status for row in await _rows(core)} == {"sent"}


async def test_the_same_key_cannot_be_queued_twice(core: Core, clock: ManualClock) -> None:
    message = NewMessage("intro:1:alice", "console", "alice", {"lines": [], "buttons": []})
    async with core.database.transaction() as session:
        assert await outbox.enqueue(session, [message, message], clock.now()) == 1
    async with core.database.transaction() as session:
        assert await outbox.enqueue(session, [message], clock.now()) == 0
    assert len(await _rows(core)) == 1


async def test_blocked_member_becomes_unreachable_and_is_not_retried(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _joined(talk, code)
    await talk.say(OLIVIA, "/broadcast hi")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform(failures={"alice": [RecipientUnreachable("blocked by the user")]})
    report = await Delivery(core.database, {"console": platform}, clock).run_once()
    assert (report["sent"], report["unreachable"]) == (2, 1)  # Bob and the progress message
    async with core.database.transaction() as session:
        status = (await session.scalars(select(Member.status).where(Member.platform_user_id == "alice"))).one()
    assert status == "unreachable"
    await talk.say(OLIVIA, "/broadcast again")
    await talk.press(OLIVIA, "Send")
    assert [r.address for r in await _rows(core) if r.status == "queued"] == ["olivia", "bob"]
    assert "unreachable: 1" in await talk.say(OLIVIA, "/stats")


async def test_rate_limit_waits_and_transient_errors_back_off(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await _joined(talk, code)
    await talk.say(OLIVIA, "/broadcast hi")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform(failures={"alice": [RateLimited(30)], "bob": [TransientDeliveryError("502")]})
    delivery = Delivery(core.database, {"console": platform}, clock)
    assert (await delivery.run_once())["retrying"] == 2
    assert (await delivery.run_once())["sent"] == 0  # nothing is due yet
    clock.advance(timedelta(seconds=31))
    report = await delivery.run_once()
    assert report["sent"] == 2
    attempts = {row.address: row.attempts for row in await _rows(core)}
    assert attempts == {"olivia": 1, "alice": 1, "bob": 2}  # a rate limit is not a failed attempt


async def test_transient_errors_end_as_failed(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast hi")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform(failures={"alice": [TransientDeliveryError("timeout")] * 10})
    delivery = Delivery(core.database, {"console": platform}, clock)
    for _ in range(6):
        await delivery.run_once()
        clock.advance(timedelta(minutes=5))
    (row,) = [row for row in await _rows(core) if row.address == "alice"]
    assert (row.status, row.attempts) == ("failed", 5)
    assert "timeout" in (row.error or "")


async def test_crash_mid_send_is_uncertain_never_resent(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast hi")
    await talk.press(OLIVIA, "Send")
    async with core.database.transaction() as session:  # what a process killed during the API call leaves
        await session.execute(update(OutboxMessage).values(status="sending", attempts=1, lease_until=clock.now()))
    delivery = Delivery(core.database, {"console": RecordingPlatform()}, clock)
    if core.database.is_sqlite:
        assert await delivery.recover() == 2  # one process: every row left mid-send is orphaned
    else:
        assert await delivery.recover() == 0  # another replica may still be sending: wait for the lease
        clock.advance(timedelta(seconds=1))
        assert await delivery.recover() == 2
    assert (await delivery.run_once())["sent"] == 0
    assert [row.status for row in await _rows(core)] == ["uncertain", "uncertain"]


async def test_claimed_but_never_sent_rows_go_back_to_the_queue(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast hi")
    await talk.press(OLIVIA, "Send")
    async with core.database.transaction() as session:  # a worker died after claiming, before sending
        await session.execute(update(OutboxMessage).values(status="claimed", attempts=1, lease_until=clock.now()))
    clock.advance(timedelta(seconds=1))
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)
    assert await delivery.recover() == 0
    assert (await delivery.run_once())["sent"] == 2
    assert {row.attempts for row in await _rows(core)} == {1}


async def test_moved_chat_is_followed(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    await talk.say(ALICE, f"/join {code}")
    group = Chat("-100", "group", "HR people")
    await core.handle(Command(OLIVIA, "link", "", group))
    await talk.say(OLIVIA, "/broadcast hi all")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform(failures={"-100": [ChatMoved("-100200")]})
    delivery = Delivery(core.database, {"console": platform}, clock)
    await delivery.run_once()
    assert [(a.user_id, a.kind) for a, _ in platform.sent if a.kind == "channel"] == [("-100200", "channel")]
    async with core.database.transaction() as session:
        assert (await session.scalars(select(Event.channel_id))).one() == "-100200"


async def test_channel_without_the_bot_tells_the_organisers(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    await core.handle(Command(OLIVIA, "link", "", Chat("C1", "group")))
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast hi all")
    await talk.press(OLIVIA, "Send")
    platform = RecordingPlatform(failures={"C1": [ChannelUnavailable("not_in_channel")]})
    await Delivery(core.database, {"console": platform}, clock).run_once()
    assert any("Invite me to that channel" in text for text in platform.texts_to("olivia"))
    assert platform.texts_to("alice") == []  # Alice is on the channel's platform: the channel is how she hears


async def test_members_on_other_platforms_get_a_dm_when_a_chat_is_linked(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    from tests.fakes import person

    await core.handle(Command(OLIVIA, "link", "", Chat("C1", "group")))
    tg = person("Tom", platform="telegram")
    await talk.say(tg, f"/join {code}")
    await talk.say(ALICE, f"/join {code}")
    await talk.say(OLIVIA, "/broadcast hi all")
    await talk.press(OLIVIA, "Send")
    console, telegram = RecordingPlatform(), RecordingPlatform(platform="telegram")
    await Delivery(core.database, {"console": console, "telegram": telegram}, clock).run_once()
    assert "linked chat and 1 member elsewhere" in console.texts_to("olivia")[0]
    assert [a.user_id for a, _ in console.sent if a.user_id != "olivia"] == ["C1"]
    assert [a.user_id for a, _ in telegram.sent] == ["tom"]
