"""The one dialect-chosen insert: ``INSERT … ON CONFLICT DO NOTHING``, on PostgreSQL and on SQLite alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import Base


@cache
def _statement(dialect: str, table: Table, conflict: tuple[str, ...]) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict) or None)


def insert_skipping_existing(
    session: AsyncSession | Session, model: type[Base], conflict: Sequence[str] = ()
) -> Insert:
    """An insert of ``model``'s rows that leaves a row alone when one with the same key (``conflict``'s
    columns, or any unique constraint when empty) already exists. Built once per dialect and table: building a
    statement costs more than SQLite takes to run it."""
    table = model.__table__
    assert isinstance(table, Table)
    return _statement(session.get_bind().dialect.name, table, tuple(conflict))
