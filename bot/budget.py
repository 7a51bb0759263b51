"""One send budget per platform account, shared by every replica and by replies to commands.

Each send reserves its turn in the database (``storage.ratebudget``: GCRA, a token bucket kept as the time of
the next allowed send), so three replicas broadcasting together stay within one bot's limits, and an answer to
a command waits for a turn in the same line instead of going out on top of a broadcast. The limits are paced
slightly below the published ones (``HEADROOM``) so that network jitter does not push a second over them: a
429 stays the exception, not the pacing.

Time here is the wall clock, whatever clock the rest of the process uses: rate limits are about real seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.ratelimit import RateLimits
from storage import ratebudget
from storage.database import Database

HEADROOM = 0.95  # pace at 95 % of a published limit
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Slot:
    """When a send may go; ``deferred_until`` instead when its chat is busy and the caller chose not to wait."""

    wait: float
    deferred_until: datetime | None = None


def _interval(per: float | None, span: float) -> timedelta | None:
    return None if per is None else timedelta(seconds=span / (per * HEADROOM))


class SharedBudget:
    def __init__(
        self,
        database: Database,
        limits: Mapping[str, RateLimits],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.database = database
        self.limits = dict(limits)
        self.now = now
        self.sleep = sleep

    def _keys(
        self, platform: str, chat: str, is_group: bool
    ) -> tuple[tuple[str, timedelta] | None, tuple[str, timedelta] | None]:
        limits = self.limits.get(platform, RateLimits())
        overall = _interval(limits.overall_per_second, 1.0)
        if is_group and limits.per_group_per_minute is not None:
            per_chat = _interval(limits.per_group_per_minute, 60.0)
        else:
            per_chat = _interval(limits.per_chat_per_second, 1.0)
        return (
            (platform, overall) if overall else None,
            (f"{platform}:chat:{chat}", per_chat) if per_chat else None,
        )

    async def reserve(self, platform: str, chat: str, is_group: bool, *, wait_for_chat: bool) -> Slot:
        account, per_chat = self._keys(platform, chat, is_group)
        if account is None and per_chat is None:
            return Slot(0.0)
        async with self.database.transaction() as session:
            turn = await ratebudget.reserve(session, self.now, account, per_chat, wait_for_chat=wait_for_chat)
        if turn.at is None:
            return Slot(0.0, turn.chat_free_at)
        return Slot(max(0.0, (turn.at - self.now()).total_seconds()))  # from now, after the transaction

    async def wait_turn(self, platform: str, chat: str, is_group: bool) -> None:
        """For an answer to a command: wait in line (account and chat) until it may go."""
        slot = await self.reserve(platform, chat, is_group, wait_for_chat=True)
        if slot.wait > 0:
            await self.sleep(slot.wait)

    async def reserve_keys(self, keys: Sequence[tuple[str, timedelta]], *, max_wait: float | None = None) -> Slot:
        """One turn under all of ``keys`` (key, interval between sends), for limits an adapter knows in more
        detail than the platform-wide ones (Slack's per-method tiers). With ``max_wait``, a turn further off
        than that reserves nothing: ``deferred_until`` says when it would have been."""
        if not keys:
            return Slot(0.0)
        latest = None if max_wait is None else timedelta(seconds=max_wait)
        async with self.database.transaction() as session:
            turn = await ratebudget.reserve_all(session, self.now, keys, max_wait=latest)
        if turn.at is None:
            return Slot(0.0, turn.chat_free_at)
        return Slot(max(0.0, (turn.at - self.now()).total_seconds()))
