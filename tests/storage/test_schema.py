"""Migrations and the schema gate, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import Connection, select

from storage.database import Database, SchemaOutdated, alembic_config
from storage.models import Event


async def _downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database.url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(run)


async def test_an_old_schema_is_refused_with_the_fix(database: Database) -> None:
    await database.check_schema()
    await _downgrade(database, "0001")
    with pytest.raises(SchemaOutdated, match=r"is at revision 0001.*Run `icebreaker db upgrade`"):
        await database.check_schema()
    await database.upgrade()
    await database.check_schema()


async def test_every_migration_goes_down_and_up_again(database: Database) -> None:
    await _downgrade(database, "base")
    with pytest.raises(SchemaOutdated, match="has no tables yet"):
        await database.check_schema()
    await database.upgrade()
    await database.check_schema()


async def test_times_come_back_aware_in_utc(database: Database) -> None:
    start = datetime(2026, 12, 10, 18, 30, tzinfo=timezone(timedelta(hours=2)))
    async with database.transaction() as session:
        session.add(
            Event(
                name="E",
                starts_at=start,
                time_zone="Europe/Athens",
                join_code="ABC234",
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    async with database.transaction() as session:
        stored = (await session.scalars(select(Event.starts_at))).one()
    assert stored == start and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(
                Event(
                    name="E",
                    starts_at=datetime(2026, 12, 10),
                    time_zone="UTC",
                    join_code="ABC234",
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )
