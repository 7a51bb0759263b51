"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when reachable; required in CI)."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from storage.database import Database

PG_ADMIN_DSN = os.environ.get("ICEBREAKER_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _pg_reachable() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database; each test gets a copy of it (CREATE DATABASE … TEMPLATE is fast)."""
    if not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_DSN}: CI requires the PostgreSQL suite to run")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")
    name = f"icebreaker_tpl_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        database = Database(_pg_url(name))
        await database.upgrade()
        await database.dispose()

    asyncio.run(create())
    yield name
    asyncio.run(_drop(name))


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
async def postgres_database(pg_template: str) -> AsyncIterator[Database]:
    name = f"icebreaker_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    await admin.close()
    database = Database(_pg_url(name))
    yield database
    await database.dispose()
    await _drop(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    """The storage-backed suite runs on both backends."""
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def core(database: Database, clock: ManualClock) -> Core:
    return Core(database, clock, Policy(), rng=random.Random(1))


@pytest.fixture
def sqlite_core(sqlite_database: Database, clock: ManualClock) -> Core:
    return Core(sqlite_database, clock, Policy(), rng=random.Random(1))
