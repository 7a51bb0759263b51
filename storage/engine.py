"""The async engine for a database URL, on drivers SQLAlchemy supports: aiosqlite and asyncpg.

SQLite goes through SQLAlchemy's own ``sqlite+aiosqlite`` dialect, configured with public event hooks only
(SQLAlchemy's SQLite notes, "Transactions with SQLite and the sqlite3 driver"):
- sqlite3's own transaction handling is switched off and every transaction begins explicitly, so a SAVEPOINT
  after some reads stays inside its transaction (on its own sqlite3 would open one only at the first write,
  and the savepoint's RELEASE would commit);
- a transaction that may write begins ``IMMEDIATE``: it takes the write lock up front, so it cannot fail
  half-way because another connection wrote meanwhile; a read-only one (``Database.read``) begins deferred,
  refuses writes, and never waits for a writer (WAL: readers and the writer do not block each other);
- a small pool of connections (each with its own aiosqlite thread): a health check or a read is never queued
  behind a long write. Writers of this process queue for each other in ``Database`` (an asyncio lock), not
  in SQLite's busy handler.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_ONLY = "icebreaker_read_only"  # an execution option: this connection's transaction only reads
SQLITE_CONNECTIONS = 4
BUSY_TIMEOUT_MS = 5000  # only another process's lock can make us wait (SQLite serves one process)


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """The engine for ``url``: any SQLite URL on aiosqlite, PostgreSQL on asyncpg."""
    if not is_sqlite_url(url):
        return create_async_engine(url, echo=echo)
    target = make_url(url).set(drivername="sqlite+aiosqlite")
    in_memory = target.database in (None, "", ":memory:")
    sizing: dict[str, Any] = (
        {"poolclass": pool.StaticPool}
        if in_memory
        else {"poolclass": pool.AsyncAdaptedQueuePool, "pool_size": SQLITE_CONNECTIONS, "max_overflow": 0}
    )
    engine = create_async_engine(target, echo=echo, **sizing)
    event.listen(engine.sync_engine, "connect", configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", begin_sqlite_transaction)
    return engine


def begin_sqlite_transaction(connection: Connection) -> None:
    """``BEGIN IMMEDIATE``, or for a read-only transaction a deferred ``BEGIN`` with writes refused
    (``query_only``, switched only when it changes: the pragma is per connection and costs a call)."""
    read_only = bool(connection.get_execution_options().get(READ_ONLY, False))
    if connection.info.get("query_only", False) != read_only:
        connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        connection.info["query_only"] = read_only
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # sqlite3 leaves transactions to us: see begin_sqlite_transaction
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # WAL: readers don't block the writer, and a commit appends to the log instead of rewriting pages;
    # synchronous=NORMAL is durable across process crashes (only an OS crash may lose the last commits).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
