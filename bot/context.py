"""What a handler gets: the database session, who is talking, the clock, and where its answers go."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.campaign.timing import known_zone
from bot.clock import Clock
from bot.errors import UserError
from bot.messages import Action, Chat, EditOrigin, Message, OpenForm, Reply, Sender
from storage import events as event_queries
from storage import members as member_queries
from storage.database import Database
from storage.models import Event, Member
from storage.session import AsyncSession


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may create events (empty: anyone), and which platforms can hold a group conversation."""

    organisers: frozenset[str] = frozenset()
    group_dm_platforms: frozenset[str] = frozenset()

    def may_create_events(self, sender: Sender) -> bool:
        if not self.organisers:
            return True
        names = {sender.user_id, f"{sender.platform}:{sender.user_id}"}
        if sender.handle:
            names |= {sender.handle, f"{sender.platform}:{sender.handle}"}
        return bool(names & self.organisers)


class SignInLinks(Protocol):
    """Makes the dashboard's one-time sign-in links (``bot.services.dashboard.signin.DashboardLinks``)."""

    async def issue(self, session: AsyncSession, member: Member, now: datetime) -> str: ...


# Work that runs after the event's transaction has committed, in transactions of its own (a round: its
# matching must not keep the event's transaction, and on SQLite the one writer, waiting). It may reply.
AfterCommit = Callable[[Database, "Context"], Awaitable[None]]


@dataclass(slots=True)
class Context:
    session: AsyncSession
    sender: Sender
    clock: Clock
    policy: Policy
    member: Member | None
    rng: random.Random
    chat: Chat | None = None
    actions: list[Action] = field(default_factory=list)
    queued: int = 0
    links: SignInLinks | None = None  # None where no dashboard is served (the demo; a shell without a port)
    later: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, job: AfterCommit) -> None:
        self.later.append(job)

    def reply(self, message: Message) -> None:
        self.actions.append(Reply(message))

    def edit(self, message: Message) -> None:
        self.actions.append(EditOrigin(message))

    def offer_form(self, form: str, reference: str, fields: dict[str, str], message: Message) -> None:
        self.actions.append(OpenForm(form, reference, tuple(fields.items()), message))

    async def enrol(self) -> Member:
        """The sender as a member, created now if they were not one (joining is their consent)."""
        if self.member is None:
            self.member = await member_queries.enrol(
                self.session,
                platform=self.sender.platform,
                user_id=self.sender.user_id,
                display_name=self.sender.display_name,
                handle=self.sender.handle,
                language=self.sender.language,
                now=self.clock.now(),
                time_zone=known_zone(self.sender.time_zone),
            )
        return self.member

    def require_member(self) -> Member:
        if self.member is None:
            raise UserError("You haven't joined any event yet. Send /join CODE with the code your organiser gave you.")
        return self.member

    async def current_event(self) -> Event:
        member = self.require_member()
        event = await self.session.get(Event, member.current_event_id) if member.current_event_id else None
        if event is None:
            raise UserError("You have no current event. Join one with /join CODE, or pick one with /event CODE.")
        return event

    async def organised_event(self) -> Event:
        """The current event, if the sender organises it; otherwise a friendly refusal."""
        event = await self.current_event()
        await self.require_organiser(event)
        return event

    async def require_organiser(self, event: Event) -> None:
        member = self.require_member()
        if not await event_queries.is_organiser(self.session, event.id, member.id):
            raise UserError(f"Only the organisers of {event.name} can do that.")
