"""The shared send budget: replicas reserving at once get distinct turns, one interval apart; a busy chat defers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import ratebudget
from storage.database import Database
from tests.conftest import NOW

STEP = timedelta(milliseconds=35)
CHAT = timedelta(seconds=1)


async def test_reservations_take_turns_one_interval_apart(database: Database) -> None:
    replicas = [Database(database.url) for _ in range(3)] if not database.is_sqlite else [database]

    async def reserve_many(replica: Database, worker: int) -> list[object]:
        turns = []
        for n in range(30):
            async with replica.transaction() as session:
                chat = (f"t:chat:{worker}-{n}", CHAT)
                turn = await ratebudget.reserve(session, lambda: NOW, ("t", STEP), chat, wait_for_chat=False)
            turns.append(turn.at)
        return turns

    try:
        results = await asyncio.gather(*(reserve_many(replicas[n % len(replicas)], n) for n in range(3)))
    finally:
        if not database.is_sqlite:
            for replica in replicas:
                await replica.dispose()
    turns = sorted(t for turns in results for t in turns)  # type: ignore[type-var]
    assert turns == [NOW + STEP * n for n in range(90)]  # no two replicas got the same turn, none skipped


async def test_a_busy_chat_is_deferred_or_waited_for(database: Database) -> None:
    async with database.transaction() as session:
        first = await ratebudget.reserve(session, lambda: NOW, ("t", STEP), ("t:chat:1", CHAT), wait_for_chat=False)
        busy = await ratebudget.reserve(session, lambda: NOW, ("t", STEP), ("t:chat:1", CHAT), wait_for_chat=False)
        other = await ratebudget.reserve(session, lambda: NOW, ("t", STEP), ("t:chat:2", CHAT), wait_for_chat=False)
        waited = await ratebudget.reserve(session, lambda: NOW, ("t", STEP), ("t:chat:1", CHAT), wait_for_chat=True)
    assert first.at == NOW
    assert busy.at is None and busy.chat_free_at == NOW + CHAT  # deferred, nothing reserved
    assert other.at == NOW + STEP  # the account's next turn was not taken by the deferred send
    assert waited.at == NOW + CHAT  # an answer to a command waits for the chat's turn instead


async def test_one_turn_under_several_keys_and_none_past_the_latest(database: Database) -> None:
    """One send's calls (a Slack method's workspace budget and a conversation's) reserve one turn together."""
    method, conversation = ("s:T1:chat.postMessage", STEP), ("s:T1:chat.postMessage:G1", CHAT)
    replicas = [Database(database.url) for _ in range(3)] if not database.is_sqlite else [database]

    async def reserve_many(replica: Database, worker: int) -> list[object]:
        turns = []
        for n in range(10):
            async with replica.transaction() as session:
                keys = [(f"s:T1:chat.postMessage:G{worker}-{n}", CHAT), method]  # not in lock order: sorted inside
                turns.append((await ratebudget.reserve_all(session, lambda: NOW, keys)).at)
        return turns

    try:
        results = await asyncio.gather(*(reserve_many(replicas[n % len(replicas)], n) for n in range(3)))
    finally:
        if not database.is_sqlite:
            for replica in replicas:
                await replica.dispose()
    turns = sorted(t for turns in results for t in turns)  # type: ignore[type-var]
    assert turns == [NOW + STEP * n for n in range(30)]  # distinct turns across replicas, no deadlock
    async with database.transaction() as session:
        first = await ratebudget.reserve_all(session, lambda: NOW, [method, conversation])
        second = await ratebudget.reserve_all(session, lambda: NOW, [method, conversation])
        too_late = await ratebudget.reserve_all(session, lambda: NOW, [method, conversation], max_wait=CHAT)
        third = await ratebudget.reserve_all(session, lambda: NOW, [method, conversation])
    assert first.at == NOW + STEP * 30
    assert second.at == first.at + CHAT  # the conversation's turn, later than the method's
    assert too_late.at is None and too_late.chat_free_at == second.at + CHAT  # past the latest: nothing taken
    assert third.at == second.at + CHAT


async def test_now_is_read_once_the_rows_are_locked(database: Database) -> None:
    """A turn is never reserved in the past because the caller waited for the lock: late waiters would go
    together, faster than the interval."""
    readings = iter([NOW, NOW + CHAT * 5])  # before the lock, then after a long wait for it

    async with database.transaction() as session:
        turn = await ratebudget.reserve_all(session, lambda: next(readings), [("s:T1:late", STEP)])
    assert turn.at == NOW + CHAT * 5


async def test_a_send_turn_reads_now_once_its_rows_are_locked(database: Database) -> None:
    """The same for one send under the account's and its chat's limits (Telegram's path): the budget was last
    used long ago, and the caller waited for the lock, so its turn is the moment it got the lock, not before."""
    readings = iter([NOW, NOW, NOW + CHAT * 5])  # the two locks, then the reading once they are held
    async with database.transaction() as session:
        turn = await ratebudget.reserve(
            session, lambda: next(readings), ("t", STEP), ("t:chat:1", CHAT), wait_for_chat=False
        )
    assert turn.at == NOW + CHAT * 5
