"""The database layer: writers queue for SQLite's one writer instead of failing, reads and the health check never
wait for a writer, a nested transaction is refused at once, savepoints stay inside their transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.database import Database, NestedTransaction
from storage.models import Member

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _member(user_id: str) -> dict[str, object]:
    return {"platform": "console", "platform_user_id": user_id, "display_name": user_id, "created_at": NOW}


async def _count(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Member)) or 0)


async def test_overlapping_writers_wait_for_each_other(sqlite_database: Database) -> None:
    """A transaction that yields to the loop while it holds SQLite's write lock must not make another
    transaction of the same process wait on that lock inside the loop (which would stall the holder too)."""
    holder_has_written = asyncio.Event()

    async def holder() -> None:
        async with sqlite_database.transaction() as session:
            await session.execute(insert(Member).values(_member("first")))
            holder_has_written.set()
            await asyncio.sleep(0.2)  # a real suspension with the write lock held

    async def second() -> None:
        await holder_has_written.wait()
        async with sqlite_database.transaction() as session:
            await session.execute(insert(Member).values(_member("second")))

    await asyncio.wait_for(asyncio.gather(holder(), second()), timeout=3)  # the busy timeout is 5 s
    assert await _count(sqlite_database) == 2


async def test_a_failed_transaction_leaves_nothing_and_the_connection_usable(sqlite_database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with sqlite_database.transaction() as session:
            await session.execute(insert(Member).values(_member("twin")))
            await session.execute(insert(Member).values(_member("twin")))  # unique (platform, user id)
    assert await _count(sqlite_database) == 0
    async with sqlite_database.transaction() as session:
        await session.execute(insert(Member).values(_member("twin")))
    assert await _count(sqlite_database) == 1


async def test_foreign_keys_and_wal_are_on(sqlite_database: Database) -> None:
    async with sqlite_database.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"


async def test_the_older_aiosqlite_url_form_still_opens_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    new_form = Database(f"sqlite:///{path}")
    await new_form.upgrade()
    async with new_form.transaction() as session:
        await session.execute(insert(Member).values(_member("kept")))
    await new_form.dispose()
    old_form = Database(f"sqlite+aiosqlite:///{path}")
    await old_form.check_schema()
    assert await _count(old_form) == 1
    await old_form.dispose()


async def test_a_savepoint_after_reads_is_undone_with_its_transaction(sqlite_database: Database) -> None:
    """sqlite3 on its own opens a transaction only at the first write, so a SAVEPOINT opened after reads would
    be the outermost transaction and its RELEASE a commit. The campaign runner and rounds rely on savepoints
    inside their transaction: the outer rollback must undo what the savepoint did."""
    with pytest.raises(RuntimeError):
        async with sqlite_database.transaction() as session:
            await session.scalar(select(func.count()).select_from(Member))
            async with session.begin_nested():
                await session.execute(insert(Member).values(_member("inner")))
            raise RuntimeError("the step after the savepoint fails")
    assert await _count(sqlite_database) == 0


async def test_a_failed_savepoint_keeps_the_rest_of_its_transaction(sqlite_database: Database) -> None:
    async with sqlite_database.transaction() as session:
        await session.execute(insert(Member).values(_member("outer")))
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(insert(Member).values(_member("outer")))
    assert await _count(sqlite_database) == 1


async def test_a_transaction_nested_in_another_of_the_same_task_is_refused_at_once(database: Database) -> None:
    """On SQLite it would wait for the writer it is nested in (it used to wait 30 s for the pool, then fail); on
    PostgreSQL it would be a second transaction that can deadlock on the first one's locks."""
    async with database.transaction() as outer:
        await outer.execute(insert(Member).values(_member("outer")))
        with pytest.raises(NestedTransaction):
            async with database.transaction():
                pass
        with pytest.raises(NestedTransaction):
            async with database.read():
                pass
    assert await _count(database) == 1  # the outer transaction was not disturbed


async def test_other_tasks_may_open_transactions_while_one_is_open(database: Database) -> None:
    """The refusal is per task: a task started inside a transaction is not nested in it."""
    done: list[str] = []

    async def elsewhere() -> None:
        async with database.transaction() as session:
            await session.execute(insert(Member).values(_member("elsewhere")))
        done.append("elsewhere")

    async with database.transaction() as session:
        await session.execute(insert(Member).values(_member("here")))
        task = asyncio.create_task(elsewhere())
        await asyncio.sleep(0)
    await asyncio.wait_for(task, timeout=10)
    assert done == ["elsewhere"] and await _count(database) == 2


async def test_reads_and_the_health_check_do_not_wait_for_a_writer(database: Database) -> None:
    """A long write transaction (a round) holds SQLite's one writer: a read-only transaction and the schema check
    behind /healthz still answer meanwhile, from the last committed state."""
    async with database.transaction() as session:
        await session.execute(insert(Member).values(_member("committed")))
    writing = asyncio.Event()
    release = asyncio.Event()

    async def long_writer() -> None:
        async with database.transaction() as session:
            await session.execute(insert(Member).values(_member("uncommitted")))
            writing.set()
            await release.wait()

    writer = asyncio.create_task(long_writer())
    await writing.wait()
    try:
        assert await asyncio.wait_for(database.current_revision(), timeout=10) is not None
        async with asyncio.timeout(10):
            async with database.read() as session:
                seen = await session.scalar(select(func.count()).select_from(Member))
        assert seen == 1  # a snapshot: the writer's row is not committed yet
        assert not writer.done()  # all of this happened while the writer held its transaction open
    finally:
        release.set()
        await writer
    assert await _count(database) == 2


async def test_what_a_read_loaded_stays_readable_after_it(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(insert(Member).values(_member("kept")))
    async with database.read() as session:
        member = await session.scalar(select(Member))
    assert member is not None and member.display_name == "kept"


async def test_a_read_only_transaction_refuses_writes_and_the_connection_writes_again_after(
    database: Database,
) -> None:
    """A read never takes the write lock; a write inside one is a bug, refused rather than silently upgraded."""
    with pytest.raises(DBAPIError, match=r"(?i)read-only|readonly|read only"):
        async with database.read() as session:
            await session.execute(insert(Member).values(_member("sneaky")))
    for n in range(6):  # more than the pool's connections: none of them is left read-only
        async with database.transaction() as session:
            await session.execute(insert(Member).values(_member(f"writer {n}")))
    assert await _count(database) == 6
