"""The dashboard's one entry point: each call is one transaction, checks that the signed-in member organises
the event, and returns frozen values for the web adapter to render. Refusals are ``UserError`` (the form is
shown again with the message) or ``Forbidden`` (403); nothing is changed by either."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.campaign.plan import steps_of
from bot.charts import stats_png
from bot.clock import Clock
from bot.services.dashboard import attendees as attendee_table
from bot.services.dashboard import broadcasts as broadcast_service
from bot.services.dashboard import campaign as campaign_editor
from bot.services.dashboard import overview as event_overview
from bot.services.dashboard.signin import DashboardLinks, Forbidden, LinkRefused, SignedIn
from bot.stats import event_stats
from storage import events as event_queries
from storage.database import Database
from storage.models import Event, Member
from storage.session import AsyncSession


@dataclass(frozen=True, slots=True)
class Viewer:
    member_id: int
    name: str
    platform: str


@dataclass(frozen=True, slots=True)
class AttendeeTable:
    event: event_overview.EventLine
    rows: tuple[attendee_table.Attendee, ...]
    total: int  # before filtering
    interests: tuple[str, ...]  # the poll's options, for the filter
    filter: attendee_table.AttendeeFilter


@dataclass(frozen=True, slots=True)
class BroadcastPage:
    event: event_overview.EventLine
    broadcasts: tuple[broadcast_service.BroadcastView, ...]
    interests: tuple[str, ...]
    time_zone: str


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A preview together with the one-time token that confirms exactly it."""

    token: str
    preview: broadcast_service.Preview | campaign_editor.Change


class Dashboard:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        links: DashboardLinks,
        *,
        on_queued: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.links = links
        self._on_queued = on_queued

    # Signing in and out

    async def check_link(self, token: str) -> None:
        async with self.database.transaction() as session:
            await self.links.check(session, token, self.clock.now())

    async def sign_in(self, token: str) -> SignedIn:
        async with self.database.transaction() as session:
            return await self.links.redeem(session, token, self.clock.now())

    async def viewer(self, signed_in: SignedIn) -> Viewer | None:
        """Who is signed in, while the session is open (not signed out, not too old, still an organiser)."""
        async with self.database.transaction() as session:
            if not await self.links.is_open(session, signed_in, self.clock.now()):
                return None
            member = await session.get(Member, signed_in.member_id)
            if member is None:
                return None
            return Viewer(member.id, member.display_name, member.platform)

    async def sign_out(self, signed_in: SignedIn) -> None:
        async with self.database.transaction() as session:
            await self.links.sign_out(session, signed_in, self.clock.now())

    # Reading

    async def events(self, viewer: Viewer) -> list[event_overview.EventLine]:
        async with self.database.transaction() as session:
            return await event_overview.organised(session, viewer.member_id, self.clock.now())

    async def overview(self, viewer: Viewer, event_id: int) -> event_overview.EventOverview:
        async with self.database.transaction() as session:
            return await event_overview.overview(session, await _organised(session, viewer, event_id), self.clock.now())

    async def chart(self, viewer: Viewer, event_id: int) -> bytes:
        """The same PNG the chat's ``stats`` sends."""
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            name, figures = event.name, await event_stats(session, event, self.clock.now())
        return await asyncio.to_thread(stats_png, name, figures)

    async def attendees(self, viewer: Viewer, event_id: int, query: dict[str, str]) -> AttendeeTable:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            labels = tuple(option.label for option in await event_queries.options(session, event.id))
            wanted = attendee_table.AttendeeFilter.from_query(query, labels)
            everyone = await attendee_table.attendees(session, event)
            rows = tuple(row for row in everyone if wanted.admits(row))
            return AttendeeTable(
                await event_overview.line(session, event, self.clock.now()), rows, len(everyone), labels, wanted
            )

    async def attendees_csv(self, viewer: Viewer, event_id: int, query: dict[str, str]) -> tuple[str, str]:
        """(file name, CSV text) of the filtered table."""
        table = await self.attendees(viewer, event_id, query)
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            return f"attendees-{event.join_code}.csv", attendee_table.to_csv(table.rows, event.time_zone)

    async def campaign(
        self, viewer: Viewer, event_id: int
    ) -> tuple[event_overview.EventLine, list[campaign_editor.StepView]]:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            return await event_overview.line(session, event, self.clock.now()), await campaign_editor.timeline(
                session, event
            )

    async def broadcasts(self, viewer: Viewer, event_id: int) -> BroadcastPage:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            labels = tuple(option.label for option in await event_queries.options(session, event.id))
            views = tuple(await broadcast_service.listed(session, event))
            return BroadcastPage(
                await event_overview.line(session, event, self.clock.now()), views, labels, event.time_zone
            )

    # Changing, always in two steps: a preview with a one-time token, then its confirmation

    async def propose_step_change(
        self, viewer: Viewer, event_id: int, key: str, action: str, offset: str = "", at: str = ""
    ) -> PendingConfirmation:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            step = campaign_editor.find(await steps_of(session, event.id), key)
            change = campaign_editor.propose(event, step, action, offset, at, self.clock.now())
            content = {"kind": "step", "event": event.id, **change.to_dict()}
            return PendingConfirmation(await self._token(session, viewer, content), change)

    async def confirm_step_change(self, viewer: Viewer, event_id: int, token: str) -> campaign_editor.Change:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            content = await self._redeem(session, viewer, token, "step", event.id)
            step = campaign_editor.find(await steps_of(session, event.id), str(content.get("key")))
            return campaign_editor.apply(event, step, content, self.clock.now())

    async def preview_broadcast(
        self, viewer: Viewer, event_id: int, draft: broadcast_service.Draft
    ) -> PendingConfirmation:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            organiser = await _member(session, viewer)
            shown = await broadcast_service.preview(session, event, organiser, draft, self.clock.now())
            content = {"kind": "broadcast", "event": event.id, "draft": draft.to_dict()}
            return PendingConfirmation(await self._token(session, viewer, content), shown)

    async def confirm_broadcast(self, viewer: Viewer, event_id: int, token: str) -> broadcast_service.Sent:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            content = await self._redeem(session, viewer, token, "broadcast", event.id)
            fields = content.get("draft")
            if not isinstance(fields, dict):
                raise LinkRefused("That confirmation is not valid. Nothing was done.")
            organiser = await _member(session, viewer)
            draft = broadcast_service.Draft.from_dict(fields)
            sent = await broadcast_service.confirm(session, event, organiser, draft, self.clock.now())
        if sent.queued and self._on_queued is not None:
            await self._on_queued()
        return sent

    async def cancel_broadcast(self, viewer: Viewer, event_id: int, broadcast_id: int) -> None:
        async with self.database.transaction() as session:
            event = await _organised(session, viewer, event_id)
            await broadcast_service.cancel(session, event, broadcast_id, self.clock.now())

    async def _token(self, session: AsyncSession, viewer: Viewer, content: dict[str, object]) -> str:
        return await self.links.confirmation(session, viewer.member_id, content, self.clock.now())

    async def _redeem(
        self, session: AsyncSession, viewer: Viewer, token: str, kind: str, event_id: int
    ) -> dict[str, object]:
        content = await self.links.confirm(session, viewer.member_id, token, self.clock.now())
        if content.get("kind") != kind or content.get("event") != event_id:
            raise LinkRefused("That confirmation belongs to another page. Nothing was done.")
        return content


async def _organised(session: AsyncSession, viewer: Viewer, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None or not await event_queries.is_organiser(session, event.id, viewer.member_id):
        raise Forbidden()
    return event


async def _member(session: AsyncSession, viewer: Viewer) -> Member:
    member = await session.get(Member, viewer.member_id)
    if member is None:
        raise Forbidden()
    return member
