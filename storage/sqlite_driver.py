"""SQLite for the async engine, called on the event loop's own thread.

aiosqlite hands every cursor call (open, execute, fetch, close, commit) to a worker thread and back; a poll
answer makes about fifteen such calls, and each hand-off costs more than the SQLite work it carries (a few
microseconds on a local file). This driver gives SQLAlchemy the same awaitable connection and cursor shape
(through SQLAlchemy's own async adapter classes, as its aiosqlite dialect does) but runs each call directly.

What keeps that safe:
- one connection (a pool of one, waited for asynchronously): SQLite has one writer anyway, so two
  transactions of this process wait for each other in the pool instead of on SQLite's lock, which would
  hold the loop;
- no transaction in this code base waits on the network while it is open, so the loop is held only for the
  SQLite work itself;
- SQLite serves one process (docs/operations.md): another process's lock is the only thing that could make a
  call wait, for at most the busy timeout. Production with replicas runs on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, event, pool
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection, AsyncAdapt_dbapi_module
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_

DRIVER = "icebreaker"


class _Cursor:
    """A sqlite3 cursor behind the awaitable methods SQLAlchemy's async adapter calls."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Any = ()) -> None:
        self._cursor.execute(operation, parameters)

    async def executemany(self, operation: str, parameters: Any) -> None:
        self._cursor.executemany(operation, parameters)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Connection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.raw = connection

    def cursor(self) -> _Cursor:
        return _Cursor(self.raw.cursor())

    async def commit(self) -> None:
        self.raw.commit()

    async def rollback(self) -> None:
        self.raw.rollback()

    async def close(self) -> None:
        self.raw.close()


class _AdaptedConnection(AsyncAdapt_dbapi_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.raw.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.raw.isolation_level = value

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._connection.raw.create_function(*args, **kwargs)


class _Module(AsyncAdapt_dbapi_module):
    """The DBAPI module as SQLAlchemy sees it: sqlite3's names, with connections made awaitable."""

    def __init__(self) -> None:
        super().__init__(sqlite3, dbapi_module=sqlite3)
        self.paramstyle = "qmark"
        for name in (
            "DatabaseError",
            "Error",
            "IntegrityError",
            "InterfaceError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "sqlite_version",
            "sqlite_version_info",
            "PARSE_COLNAMES",
            "PARSE_DECLTYPES",
            "Binary",
        ):
            setattr(self, name, getattr(sqlite3, name))

    def connect(self, *args: Any, **kwargs: Any) -> _AdaptedConnection:
        async def opened() -> _Connection:
            return _Connection(sqlite3.connect(*args, **kwargs))

        return await_(_AdaptedConnection.create(self, cast(Any, opened())))


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    supports_statement_cache = True
    is_async = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return _Module()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._connection.raw


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")


def async_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """The engine for ``url``: SQLite URLs on this driver, others (PostgreSQL) as they are."""
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_engine(url, echo=echo)
    return create_async_engine(url, echo=echo)


def sqlite_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine on this driver for any SQLite URL (``sqlite://``, ``sqlite+aiosqlite://``)."""
    target = make_url(url).set(drivername=f"sqlite+{DRIVER}")
    one_connection = {"pool_size": 1, "max_overflow": 0} if InlineSQLiteDialect._is_url_file_db(target) else {}
    engine = create_async_engine(target, echo=echo, **one_connection)
    event.listen(engine.sync_engine, "connect", _configure)
    event.listen(engine.sync_engine, "begin", _begin)
    return engine


def _begin(connection: Connection) -> None:
    """Every transaction starts here, explicitly. Left to itself sqlite3 opens one only at the first write, so a
    SAVEPOINT after some reads would be the outermost transaction and its RELEASE a commit (SQLAlchemy's
    SQLite notes, "Serializable isolation / Savepoints"). IMMEDIATE takes the write lock up front: a
    transaction that read first cannot then fail to upgrade because another process wrote meanwhile."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # sqlite3 leaves transactions to us: see _begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL: readers don't block the writer, and a commit appends to the log instead of rewriting pages;
    # synchronous=NORMAL is durable across process crashes (only an OS crash may lose the last commits).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
