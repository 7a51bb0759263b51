"""Send budgets shared by every replica: GCRA (the "generic cell rate algorithm", a token bucket stored as the
time the next send may go), one row per platform account and one per chat.

A reservation locks the rows (``FOR UPDATE`` on PostgreSQL; SQLite's single writer serialises), moves them on
by one interval and says when the send may go; the caller waits until then. Locks are always taken account
first, then chat, so two replicas never deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RateSlot
from storage.upsert import insert_skipping_existing


@dataclass(frozen=True, slots=True)
class Turn:
    """``at``: when the send may go (``None``: the chat is busy until ``chat_free_at``, nothing reserved)."""

    at: datetime | None
    chat_free_at: datetime | None = None


async def _locked(session: AsyncSession, key: str, now: datetime) -> RateSlot:
    await session.execute(insert_skipping_existing(session, RateSlot, ("key",)), [{"key": key, "next_at": now}])
    row = await session.scalar(select(RateSlot).where(RateSlot.key == key).with_for_update())
    assert row is not None
    return row


async def reserve(
    session: AsyncSession,
    clock: Callable[[], datetime],
    account: tuple[str, timedelta] | None,
    chat: tuple[str, timedelta] | None,
    *,
    wait_for_chat: bool,
) -> Turn:
    """Reserve one send under the account's interval and the chat's. With ``wait_for_chat`` false, a chat that
    is not free by the account's turn reserves nothing (the outbox defers that row and sends others meanwhile).
    ``clock`` is read once the rows are locked, as in ``reserve_all``."""
    overall = await _locked(session, account[0], clock()) if account else None
    chat_row = await _locked(session, chat[0], clock()) if chat else None
    now = clock()
    at = max(overall.next_at, now) if overall else now
    if chat is not None and chat_row is not None:
        if chat_row.next_at > at:
            if not wait_for_chat:
                return Turn(None, chat_row.next_at)
            at = chat_row.next_at
        chat_row.next_at = at + chat[1]
    if overall is not None and account is not None:
        overall.next_at = max(overall.next_at, now) + account[1]
    return Turn(at)


async def reserve_all(
    session: AsyncSession,
    clock: Callable[[], datetime],
    keys: Sequence[tuple[str, timedelta]],
    *,
    max_wait: timedelta | None = None,
) -> Turn:
    """Reserve one turn under every key at once (the calls of one send: a Slack method's workspace budget and a
    conversation's, say): the turn is when all of them are free, and each moves on by its interval from there.
    A turn more than ``max_wait`` away reserves nothing (``at`` is None, ``chat_free_at`` says when it would be).

    ``clock`` is read once the rows are locked: a "now" taken before waiting for the lock would be stale by
    the wait, and turns reserved in the past let the waiters through together, faster than the interval.
    Keys are locked in sorted order, so two replicas never deadlock."""
    rows = [(await _locked(session, key, clock()), interval) for key, interval in sorted(keys)]
    now = clock()
    at = max([now, *(row.next_at for row, _ in rows)])
    if max_wait is not None and at > now + max_wait:
        return Turn(None, at)
    for row, interval in rows:
        row.next_at = at + interval
    return Turn(at)
