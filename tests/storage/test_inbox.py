"""The inbox's rules, on SQLite and PostgreSQL: one row per platform id, one chat's updates in order, leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import ManualClock
from storage import inbox
from storage.database import Database
from storage.inbox import NewUpdate
from tests.conftest import NOW

LEASE = timedelta(seconds=10)


def _update(n: int, chat: str) -> NewUpdate:
    return NewUpdate("telegram", str(n), chat, {"update_id": n})


async def test_a_duplicate_is_dropped_by_the_key(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        assert await inbox.record(session, [_update(1, "a"), _update(2, "a")], clock.now()) == 2
    async with database.transaction() as session:
        assert await inbox.record(session, [_update(2, "a"), _update(3, "b")], clock.now()) == 1
        assert await inbox.record(session, [NewUpdate("slack", "2", "a", {})], clock.now()) == 1  # other platform
        assert await inbox.pending(session) == 4


async def test_one_chat_is_handled_in_order_other_chats_meanwhile(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        await inbox.record(session, [_update(1, "a"), _update(2, "a"), _update(3, "b")], clock.now())
    async with database.transaction() as session:
        claimed = await inbox.claim_next(session, clock.now(), ["telegram"], "w1", LEASE, limit=10)
    assert [c.external_id for c in claimed] == ["1", "3"]  # update 2 waits for update 1 of its chat
    async with database.transaction() as session:
        assert await inbox.claim_next(session, clock.now(), ["telegram"], "w2", LEASE) == []
        assert await inbox.complete(session, claimed[0].id, "w1", clock.now())
    async with database.transaction() as session:
        [second] = await inbox.claim_next(session, clock.now(), ["telegram"], "w2", LEASE)
    assert second.external_id == "2"


async def test_an_expired_lease_goes_back_and_the_old_worker_cannot_mark_it(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        await inbox.record(session, [_update(1, "a")], clock.now())
    async with database.transaction() as session:
        [mine] = await inbox.claim_next(session, clock.now(), ["telegram"], "slow", LEASE)
    clock.advance(timedelta(seconds=5))
    async with database.transaction() as session:
        assert await inbox.renew(session, mine.id, "slow", clock.now() + LEASE)  # still alive: renewed
    clock.advance(timedelta(seconds=9))
    async with database.transaction() as session:
        assert await inbox.release_expired(session, clock.now()) == 0  # the renewal kept it
    clock.advance(timedelta(seconds=2))
    async with database.transaction() as session:
        assert await inbox.release_expired(session, clock.now()) == 1
    async with database.transaction() as session:
        [theirs] = await inbox.claim_next(session, clock.now(), ["telegram"], "other", LEASE)
    assert theirs.id == mine.id and theirs.attempts == 2
    async with database.transaction() as session:
        assert not await inbox.complete(session, mine.id, "slow", clock.now())
        assert not await inbox.renew(session, mine.id, "slow", clock.now() + LEASE)
        assert await inbox.complete(session, mine.id, "other", clock.now())


async def test_concurrent_claims_on_postgresql_never_share_a_row(postgres_database: Database) -> None:
    clock = ManualClock(NOW)
    async with postgres_database.transaction() as session:
        await inbox.record(session, [_update(n, f"chat-{n % 40}") for n in range(400)], clock.now())
    replicas = [Database(postgres_database.url) for _ in range(4)]

    async def drain(database: Database, worker: str) -> list[str]:
        taken: list[str] = []
        while True:
            async with database.transaction() as session:
                claimed = await inbox.claim_next(session, clock.now(), ["telegram"], worker, LEASE, limit=3)
                if not claimed:
                    return taken
            async with database.transaction() as session:
                for row in claimed:
                    taken.append(row.external_id)
                    assert await inbox.complete(session, row.id, worker, clock.now())

    try:
        results = await asyncio.gather(*(drain(r, f"w{n}") for n, r in enumerate(replicas)))
    finally:
        for replica in replicas:
            await replica.dispose()
    everything = [u for taken in results for u in taken]
    assert sorted(everything, key=int) == [str(n) for n in range(400)]  # each once
    for taken in results:  # within one worker, each chat's updates in order
        for chat in range(40):
            mine = [int(u) for u in taken if int(u) % 40 == chat]
            assert mine == sorted(mine)
