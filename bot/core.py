"""The conversation core: one entry point for every adapter, with the error boundary around each event."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence

from bot.campaign.timing import known_zone
from bot.clock import Clock
from bot.commands.registry import build_router
from bot.context import Context, Policy, SignInLinks
from bot.errors import ClaimLost, UserError
from bot.messages import Action, Incoming, Reply, text
from storage import members as member_queries
from storage.database import Database
from storage.models import MemberStatus
from storage.session import AsyncSession

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again in a moment."


class Core:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: Policy,
        *,
        rng: random.Random | None = None,
        on_queued: Callable[[], Awaitable[None]] | None = None,
        observe: Callable[[Incoming], None] | None = None,
        links: SignInLinks | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.policy = policy
        self.router = build_router()
        self._rng = rng or random.SystemRandom()
        self._on_queued = on_queued
        self._observe = observe
        self.links = links

    async def handle(
        self,
        incoming: Incoming,
        *,
        within: Callable[[AsyncSession], Awaitable[None]] | None = None,
        keep: Callable[[AsyncSession, Sequence[Action]], Awaitable[None]] | None = None,
    ) -> list[Action]:
        """Handle one incoming event in one transaction; a refusal or a failure changes nothing. Work a handler
        left for after the commit (``Context.after_commit``) runs next, in its own transactions.

        ``within`` runs in that same transaction after the handler (the inbox marks the update handled there, so
        its effects and the mark commit together); if it raises :class:`ClaimLost` nothing commits and the error
        propagates: another worker owns the update now. ``keep`` gets the answers so far in that transaction too
        (``bot.answers`` writes them to the outbox, so they outlive this replica)."""
        if self._observe is not None:
            self._observe(incoming)
        try:
            async with self.database.transaction() as session:
                sender = incoming.sender
                member = await member_queries.find(session, sender.platform, sender.user_id)
                if member is not None:
                    member_queries.refresh_profile(
                        member, sender.display_name, sender.handle, known_zone(sender.time_zone)
                    )
                    if member.status == MemberStatus.UNREACHABLE:  # they wrote to us: we can reach them again
                        member.status = MemberStatus.ACTIVE
                ctx = Context(
                    session, sender, self.clock, self.policy, member, self._rng, incoming.chat, links=self.links
                )
                await self.router.dispatch(ctx, incoming)
                if keep is not None:
                    await keep(session, list(ctx.actions))
                if within is not None:
                    await within(session)
            for job in ctx.later:
                await job(self.database, ctx)
        except ClaimLost:
            raise
        except UserError as refusal:
            return [Reply(text(refusal.message))]
        except Exception:
            log.exception("handler failed", extra={"event": type(incoming).__name__})
            return [Reply(text(SORRY))]
        if ctx.queued and self._on_queued is not None:
            await self._on_queued()
        return ctx.actions
