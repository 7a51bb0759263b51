"""Queries of broadcasts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast


async def locked(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite's one writer
    already serialises, and SQLAlchemy leaves the clause out there), so two workers never both send its report."""
    return await session.get(Broadcast, broadcast_id, with_for_update=True)
