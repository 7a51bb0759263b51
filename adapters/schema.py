"""The schema at start-up, for ``shell`` and ``run`` alike."""

from __future__ import annotations

from bot.settings import DEFAULT_DATABASE_URL, Settings
from storage.database import Database


async def ready_schema(settings: Settings, database: Database) -> None:
    """The embedded default (the SQLite file ``icebreaker.db``) is created or upgraded here, so that ``shell``
    and ``run`` just work; any other database (PostgreSQL, shared by replicas) must be at the current revision
    already (``icebreaker db upgrade``), or this raises ``SchemaOutdated`` with that fix."""
    if settings.database_url == DEFAULT_DATABASE_URL:
        await database.upgrade()
    else:
        await database.check_schema()
