"""Scratch databases for benchmarks: a temporary SQLite file, or a new PostgreSQL database beside a given one."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.database import Database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[Database]:
    """A fresh, migrated database: a temporary SQLite file, or a new PostgreSQL database beside ``url``'s."""
    if url is None or make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(url or f"sqlite:///{Path(folder) / 'bench.db'}")
            await database.upgrade()
            yield database
            await database.dispose()
        return
    given = make_url(url)
    admin_dsn = given.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"icebreaker_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        database = Database(given.set(database=name).render_as_string(hide_password=False))
        await database.upgrade()
        yield database
        await database.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def scratch_url(url: str | None) -> AsyncIterator[str]:
    """Like ``scratch_database``, but only the migrated database's URL, for other processes to open."""
    async with scratch_database(url) as database:
        target = database.url
        await database.dispose()
        yield target
