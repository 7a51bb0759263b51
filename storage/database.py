"""The engine, sessions, and the schema-version gate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.sqlite_driver import async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_HINT = "icebreaker db upgrade"
MIGRATION_LOCK = 0x1CEB4EA7  # an arbitrary, fixed advisory-lock key for migrations


class SchemaOutdated(Exception):
    """The database is behind the code; the message says which command fixes it."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """One engine and session factory per process, built by the composition root."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # SQLite runs on the event loop's thread, through one connection: see storage/sqlite_driver.py.
        self.engine: AsyncEngine = async_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply every pending migration (``icebreaker db upgrade``)."""
        config = alembic_config(self.url)

        def run(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        async with self.engine.begin() as connection:
            if not self.is_sqlite:  # replicas starting together: one migrates, the others wait, then find nothing to do
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(run)

    async def current_revision(self) -> str | None:
        def read(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as connection:
            return await connection.run_sync(read)

    async def check_schema(self) -> None:
        """Refuse to run on a database that is behind (or ahead of) the code."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        current = await self.current_revision()
        if current != head:
            state = "has no tables yet" if current is None else f"is at revision {current}, the code needs {head}"
            raise SchemaOutdated(f"The database {state}. Run `{UPGRADE_HINT}` first.")

    async def dispose(self) -> None:
        await self.engine.dispose()
