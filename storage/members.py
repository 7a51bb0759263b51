"""Queries about members: lookup, enrolment, and erasure."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime

from sqlalchemy import ColumnElement, Text, bindparam, cast, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, Member, MemberStatus, OutboxMessage, OutboxStatus, TimeZoneSource
from storage.upsert import insert_skipping_existing

NAME_LIMIT = 100
HANDLE_LIMIT = 64


FALLBACK_NAME = "Someone"
# Letters and symbols that render as nothing (Hangul fillers, the braille blank, Khmer inherent vowels).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


def clip(value: str, limit: int) -> str:
    """Keep a platform-supplied string within its column, marking the cut with an ellipsis."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def is_visible(value: str) -> bool:
    """Whether a person would see anything of ``value``: at least one letter, digit, punctuation mark or symbol
    that is not a blank glyph. Zero-width characters (Cf), spaces (Z*), combining marks alone (M*) and control
    characters (C*) show nothing, so a name made only of them reads as no name at all."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_GLYPHS for ch in value)


def person_name(value: str | None, limit: int = NAME_LIMIT) -> str:
    """A platform-supplied name or handle as stored: clipped, and empty when nothing of it would show."""
    name = clip(value or "", limit)
    return name if is_visible(name) else ""


# Built once: every incoming event starts with this lookup, and building a statement costs more than running it.
BY_PLATFORM_ID = select(Member).where(
    Member.platform == bindparam("platform"), Member.platform_user_id == bindparam("user_id")
)


async def find(session: AsyncSession, platform: str, user_id: str) -> Member | None:
    return await session.scalar(BY_PLATFORM_ID, {"platform": platform, "user_id": user_id})


async def enrol(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    display_name: str,
    handle: str | None,
    language: str | None,
    now: datetime,
    time_zone: str | None = None,
) -> Member:
    """The member for this platform user, created (with consent recorded now) if new.

    Two first messages of the same person can arrive at once (two replicas): the insert skips an existing row
    instead of failing, and both then read the one member.
    """
    member = await find(session, platform, user_id)
    if member is not None:
        return member
    await session.execute(
        insert_skipping_existing(session, Member, ("platform", "platform_user_id")).values(
            platform=platform,
            platform_user_id=user_id,
            display_name=person_name(display_name) or FALLBACK_NAME,
            handle=person_name(handle, HANDLE_LIMIT) or None,
            language=(language or "")[:16] or None,
            time_zone=time_zone,
            time_zone_source=TimeZoneSource.PLATFORM if time_zone else None,
            status=MemberStatus.ACTIVE,
            cross_platform_ok=False,
            consented_at=now,
            created_at=now,
        )
    )
    member = await find(session, platform, user_id)
    assert member is not None
    return member


def refresh_profile(member: Member, display_name: str, handle: str | None, time_zone: str | None = None) -> None:
    """Platforms are the source of truth for names, and for the time zone unless the member set their own."""
    name = person_name(display_name) or person_name(member.display_name) or FALLBACK_NAME
    if name != member.display_name:
        member.display_name = name
    new_handle = person_name(handle, HANDLE_LIMIT) or None
    if new_handle != member.handle:
        member.handle = new_handle
    if time_zone and member.time_zone_source != TimeZoneSource.MEMBER and member.time_zone != time_zone:
        member.time_zone, member.time_zone_source = time_zone, TimeZoneSource.PLATFORM


async def erase(session: AsyncSession, member: Member) -> None:
    """Delete the member; every row holding their id goes with them (foreign keys cascade).

    Outbox rows can hold their platform id without a foreign key: a group conversation's address lists every
    member's id, and messages to others name them (mentions). Those rows are deleted too: a message about
    someone who asked to be forgotten is not sent, and a sent one is not kept.
    """
    in_group = (OutboxMessage.address_kind == "group") & (OutboxMessage.platform == member.platform) & _listed(member)
    mention = f'%["{_like(member.platform)}", "{_like(member.platform_user_id)}",%'
    named = cast(OutboxMessage.payload, Text).like(mention, escape="\\")
    await session.execute(delete(OutboxMessage).where(in_group | named))
    await session.execute(delete(Member).where(Member.id == member.id))


async def withdraw_from_event(session: AsyncSession, member: Member, event_id: int) -> None:
    """The member left the event: its messages still waiting to go out (intros held for the morning, say) are not
    sent to them, nor to others when they name them. A round or broadcast counts one message fewer to deliver, so
    its report still ends."""
    mention = f'%["{_like(member.platform)}", "{_like(member.platform_user_id)}",%'
    waiting = (
        (OutboxMessage.event_id == event_id)
        & (OutboxMessage.status == OutboxStatus.QUEUED)
        & (
            (OutboxMessage.member_id == member.id)
            | ((OutboxMessage.address_kind == "member") & cast(OutboxMessage.payload, Text).like(mention, escape="\\"))
        )
    )
    rows = (await session.execute(select(OutboxMessage.id, OutboxMessage.broadcast_id).where(waiting))).all()
    for broadcast_id in {b for _, b in rows if b is not None}:
        fewer = sum(1 for _, b in rows if b == broadcast_id)
        await session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id).values(total=Broadcast.total - fewer)
        )
    if rows:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_([row_id for row_id, _ in rows])))


async def queued_group_conversations(session: AsyncSession, member: Member) -> list[OutboxMessage]:
    """Group-conversation intros still waiting to go out whose address lists ``member`` (locked: the caller
    withdraws or replaces them)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.address_kind == "group",
            OutboxMessage.platform == member.platform,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.key.like("intro:%:group"),
            _listed(member),
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    return list((await session.scalars(query)).all())


async def replace_queued(session: AsyncSession, row: OutboxMessage, replaced_by: int) -> None:
    """Delete a queued message that ``replaced_by`` new messages stand in for; its round's or broadcast's total
    counts them instead, so its report still ends."""
    if row.broadcast_id is not None and replaced_by != 1:
        await session.execute(
            update(Broadcast).where(Broadcast.id == row.broadcast_id).values(total=Broadcast.total - 1 + replaced_by)
        )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id == row.id))


def _listed(member: Member) -> ColumnElement[bool]:
    """The member's platform id is one of a group conversation's comma-joined addresses."""
    return (literal(",") + OutboxMessage.address + literal(",")).like(
        f"%,{_like(member.platform_user_id)},%", escape="\\"
    )


def _like(value: str) -> str:
    """``value`` as a literal inside a LIKE pattern (and inside JSON, where it was written escaped)."""
    as_json = json.dumps(value)[1:-1]
    return as_json.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
