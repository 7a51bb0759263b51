"""The engine, sessions (a read/write transaction, a read-only one), and the schema-version gate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import READ_ONLY, async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_HINT = "icebreaker db upgrade"
MIGRATION_LOCK = 0x1CEB4EA7  # an arbitrary, fixed advisory-lock key for migrations

# The task whose transaction is open: a second transaction opened by the same task is refused at once.
_open_in: ContextVar[asyncio.Task[object] | None] = ContextVar("open_transaction_in", default=None)


class SchemaOutdated(Exception):
    """The database is behind the code; the message says which command fixes it."""


class NestedTransaction(RuntimeError):
    """A transaction was opened inside another one of the same task.

    On SQLite it would wait for the writer it is nested in (forever); on PostgreSQL it is a second, independent
    transaction that can deadlock on the first one's row locks. Pass the session down instead.
    """


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """One engine and session factory per process, built by the composition root."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = async_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer: this process's writers queue here, fairly and without holding the loop.
        self._writer = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error."""
        async with self._not_nested(), self._write_turn(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that never waits for a writer (on SQLite, a WAL snapshot). It is rolled back at
        the end, and what it loaded stays readable afterwards (closing the session detaches, without expiring)."""
        async with self._not_nested(), self.engine.connect() as connection:
            connection = await connection.execution_options(**{READ_ONLY: True})
            if not self.is_sqlite:  # SQLite: see storage.engine.begin_sqlite_transaction
                await connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            session = AsyncSession(bind=connection, expire_on_commit=False)
            try:
                yield session
            finally:
                await session.close()

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        if self._writer is None:
            yield
            return
        async with self._writer:
            yield

    @asynccontextmanager
    async def _not_nested(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and _open_in.get() is task:
            raise NestedTransaction("a transaction is already open in this task: pass its session down instead")
        token = _open_in.set(task)
        try:
            yield
        finally:
            with contextlib.suppress(ValueError):  # reset from another context (an async generator closed late)
                _open_in.reset(token)

    async def upgrade(self) -> None:
        """Apply every pending migration (``icebreaker db upgrade``)."""
        config = alembic_config(self.url)

        def run(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        async with self._write_turn(), self.engine.begin() as connection:
            if not self.is_sqlite:  # replicas starting together: one migrates, the others wait, then find nothing to do
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(run)

    async def current_revision(self) -> str | None:
        """The schema's revision; a read that does not wait for a writer (the health check calls it)."""

        def read(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{READ_ONLY: True})
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
