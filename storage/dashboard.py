"""Queries for the dashboard: the generated signing key, and one-time passes (links, sessions, confirmations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppSecret, DashboardPass
from storage.upsert import insert_skipping_existing


async def secret(session: AsyncSession, name: str, make: Callable[[], str], now: datetime) -> str:
    """The stored secret called ``name``, made now if there is none. Two replicas starting together both
    try to insert; the unique name keeps the first, and both read that one."""
    await session.execute(
        insert_skipping_existing(session, AppSecret, ("name",)).values(name=name, value=make(), created_at=now)
    )
    value = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert value is not None
    return value


async def add_pass(
    session: AsyncSession, member_id: int, nonce_hash: str, purpose: str, now: datetime, expires_at: datetime
) -> int:
    row = DashboardPass(
        nonce_hash=nonce_hash, member_id=member_id, purpose=purpose, created_at=now, expires_at=expires_at
    )
    session.add(row)
    await session.flush()
    return row.id


async def find_pass(session: AsyncSession, nonce_hash: str) -> DashboardPass | None:
    return await session.scalar(select(DashboardPass).where(DashboardPass.nonce_hash == nonce_hash))


async def use_pass(session: AsyncSession, nonce_hash: str, purpose: str, member_id: int, now: datetime) -> int | None:
    """Mark the pass used if it is this member's, of this purpose, unused and unexpired; its id, or None.

    One conditional UPDATE: of two requests racing with the same pass (two tabs, two replicas), one wins.
    """
    result = await session.execute(
        update(DashboardPass)
        .where(
            DashboardPass.nonce_hash == nonce_hash,
            DashboardPass.purpose == purpose,
            DashboardPass.member_id == member_id,
            DashboardPass.used_at.is_(None),
            DashboardPass.expires_at > now,
        )
        .values(used_at=now)
        .returning(DashboardPass.id)
    )
    return result.scalar()


async def session_open(session: AsyncSession, pass_id: int, member_id: int, opened_after: datetime) -> bool:
    """True while the session that this sign-in pass opened has not been signed out or grown too old."""
    row = await session.get(DashboardPass, pass_id)
    return (
        row is not None
        and row.member_id == member_id
        and row.purpose == "signin"
        and row.used_at is not None
        and row.used_at > opened_after
        and row.ended_at is None
    )


async def end_session(session: AsyncSession, pass_id: int, now: datetime) -> None:
    await session.execute(
        update(DashboardPass).where(DashboardPass.id == pass_id, DashboardPass.ended_at.is_(None)).values(ended_at=now)
    )


async def purge_passes(session: AsyncSession, now: datetime, session_length: timedelta) -> None:
    """Forget passes that can no longer do anything: unused and expired, or sessions past their length."""
    unused_expired = DashboardPass.used_at.is_(None) & (DashboardPass.expires_at < now)
    finished = DashboardPass.used_at < now - session_length
    await session.execute(delete(DashboardPass).where(unused_expired | finished))
