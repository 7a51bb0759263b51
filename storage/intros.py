"""Queries of introductions: the group row, locked while its members' answers are taken."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import IntroGroup


async def locked_group(session: AsyncSession, group_id: int) -> IntroGroup | None:
    """The group, locked until the transaction ends, so a group's answers are taken one at a time (``FOR
    UPDATE`` on PostgreSQL; on SQLite the one writer already does it, and SQLAlchemy leaves the clause out)."""
    return await session.get(IntroGroup, group_id, with_for_update=True)
