"""SQLite on the event loop's thread: one connection, transactions wait for each other instead of failing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from storage.database import Database
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
