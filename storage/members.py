"""Queries about members: lookup, enrolment, and erasure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, MemberStatus

NAME_LIMIT = 100
HANDLE_LIMIT = 64


def clip(value: str, limit: int) -> str:
    """Keep a platform-supplied string within its column, marking the cut with an ellipsis."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


async def find(session: AsyncSession, platform: str, user_id: str) -> Member | None:
    return await session.scalar(select(Member).where(Member.platform == platform, Member.platform_user_id == user_id))


async def enrol(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    display_name: str,
    handle: str | None,
    language: str | None,
    now: datetime,
) -> Member:
    """The member for this platform user, created (with consent recorded now) if new."""
    member = await find(session, platform, user_id)
    if member is None:
        member = Member(
            platform=platform,
            platform_user_id=user_id,
            display_name=clip(display_name, NAME_LIMIT) or "Someone",
            handle=clip(handle, HANDLE_LIMIT) if handle else None,
            language=(language or "")[:16] or None,
            status=MemberStatus.ACTIVE,
            consented_at=now,
            created_at=now,
        )
        session.add(member)
        await session.flush()
    return member


def refresh_profile(member: Member, display_name: str, handle: str | None) -> None:
    """Platforms are the source of truth for names: keep ours current."""
    name = clip(display_name, NAME_LIMIT) or member.display_name
    if name != member.display_name:
        member.display_name = name
    new_handle = clip(handle, HANDLE_LIMIT) if handle else None
    if new_handle != member.handle:
        member.handle = new_handle


async def erase(session: AsyncSession, member_id: int) -> None:
    """Delete the member; every row holding their id goes with them (foreign keys cascade)."""
    await session.execute(delete(Member).where(Member.id == member_id))
