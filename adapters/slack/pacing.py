"""Each Slack Web API method paced by its published tier, through the send budget every replica shares.

A call reserves its turn under one budget key per workspace and method (``slack:<team>:<method>``), and
chat.postMessage also under one per conversation, in the database (``bot.budget``: GCRA), so all replicas
together stay under each method's tier: a 429 is the exception, not the pacing. One send's calls (open the
group DM, post, upload a file) are reserved together, before the outbox marks the row as sending.

Tiers are per-minute budgets, so they are paced at 98 % of the published rate: 2 % of a minute is 1.2 s of
margin for network jitter, more than the 5 % of a second that per-second limits get (``bot.budget.HEADROOM``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from adapters.slack.tiers import SLACK_METHODS, MethodLimit
from bot.budget import HEADROOM, SharedBudget
from bot.errors import RateLimited

TIER_HEADROOM = 0.98
Call = tuple[str, str | None]  # a Web API method, and the conversation it posts to (chat.postMessage)


class Pacer:
    def __init__(self, budget: SharedBudget, methods: Mapping[str, MethodLimit] = SLACK_METHODS) -> None:
        self.budget = budget
        self.methods = dict(methods)
        self.team = "workspace"  # auth.test's team_id once the adapter has started

    def keys(self, calls: Sequence[Call]) -> list[tuple[str, timedelta]]:
        """The budget keys (and the interval between calls under each) that these calls draw on."""
        keys: dict[str, timedelta] = {}
        for method, conversation in calls:
            limit = self.methods.get(method)
            if limit is None:
                continue
            prefix = f"slack:{self.team}:{method}"
            if limit.per_minute is not None:
                interval = timedelta(seconds=60 / (limit.per_minute * TIER_HEADROOM))
                keys[prefix] = keys.get(prefix, timedelta(0)) + interval  # two calls of one send: two turns
            if limit.per_conversation_per_second is not None and conversation is not None:
                interval = timedelta(seconds=1 / (limit.per_conversation_per_second * HEADROOM))
                key = f"{prefix}:{conversation}"
                keys[key] = keys.get(key, timedelta(0)) + interval
        return list(keys.items())

    async def reserve(self, calls: Sequence[Call], *, max_wait: float | None = None) -> float:
        """Seconds until these calls may go (their turn is reserved). A turn further off than ``max_wait`` is
        not taken: :class:`RateLimited` says when it would be, as a 429 would, without asking Slack."""
        keys = self.keys(calls)
        if not keys:
            return 0.0
        slot = await self.budget.reserve_keys(keys, max_wait=max_wait)
        if slot.deferred_until is not None:
            raise RateLimited(max(0.0, (slot.deferred_until - self.budget.now()).total_seconds()))
        return slot.wait

    async def wait(self, calls: Sequence[Call], *, max_wait: float | None = None) -> None:
        """Reserve these calls' turn and wait for it."""
        wait = await self.reserve(calls, max_wait=max_wait)
        if wait > 0:
            await self.budget.sleep(wait)
