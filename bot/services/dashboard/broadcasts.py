"""Broadcasts from the dashboard: a draft is previewed (the message as members will see it, to whom, how many,
when), then confirmed once; scheduled ones can be cancelled; each has its delivery report.

Queuing calls the chat's own code (``queue_broadcast``, the ``broadcast`` campaign step), so a broadcast sent
here is the same as one sent with ``/broadcast``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import parsing
from bot.campaign.audience import members_of, parse_audience
from bot.campaign.timing import at_local
from bot.commands.broadcast import _message as member_view
from bot.commands.broadcast import queue_broadcast
from bot.errors import UserError
from bot.intros import delivery_report
from bot.messages import Message
from storage.models import Broadcast, CampaignStep, Event, Member, OutboxMessage, OutboxStatus, StepStatus

CANCELLED = "cancelled by an organiser"
WAITING = (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the organiser typed: the form's fields as they came."""

    text: str = ""
    audience: str = "all"
    date: str = ""
    time: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "audience": self.audience, "date": self.date, "time": self.time}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        return cls(*(str(data.get(key) or "") for key in ("text", "audience", "date", "time")))


@dataclass(frozen=True, slots=True)
class Preview:
    draft: Draft
    audience: str
    message: Message  # exactly what each member will get
    recipients: int  # members reached now (a scheduled one is counted again when it goes out)
    via_channel: bool  # "all" with a linked chat: the chat, plus direct messages to members elsewhere
    when: datetime | None  # None: now


@dataclass(frozen=True, slots=True)
class Report:
    delivered: int = 0
    unreachable: int = 0
    failed: int = 0
    uncertain: int = 0
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    audience: str
    text: str
    created_at: datetime
    when: datetime | None  # scheduled time, in the event's zone
    state: str  # scheduled / cancelled / not sent / sending / finished / nobody
    total: int
    report: Report


def _when(event: Event, draft: Draft, now: datetime) -> datetime | None:
    if not draft.date.strip() and not draft.time.strip():
        return None
    if not draft.date.strip() or not draft.time.strip():
        raise UserError("Give both a date and a time to schedule it, or neither to send it now.")
    day = parsing.event_date(draft.date)
    clock = parsing.event_time(draft.time.strip().zfill(5)).strftime("%H:%M")
    when = at_local(day, clock, event.time_zone)
    if when <= now:
        raise UserError(f"That time has already passed. Pick a later one (in {event.time_zone} time).")
    return when


async def preview(session: AsyncSession, event: Event, organiser: Member, draft: Draft, now: datetime) -> Preview:
    """Check the draft as ``/broadcast`` would and say what it will do; nothing is written."""
    body = draft.text.strip()
    if not body:
        raise UserError("Write the message first.")
    if len(body) > parsing.BROADCAST_LIMIT:
        raise UserError(f"Broadcasts can be at most {parsing.BROADCAST_LIMIT} characters; yours has {len(body)}.")
    audience = parse_audience(draft.audience or "all")
    when = _when(event, draft, now)
    members = [m for m in await members_of(session, event, audience) if m.id != organiser.id]
    via_channel = audience == "all" and event.channel_platform is not None and event.channel_id is not None
    if via_channel:
        members = [m for m in members if m.platform != event.channel_platform]
    message = member_view(event, Broadcast(text=body), organiser)
    return Preview(draft, audience, message, len(members), via_channel, when)


@dataclass(frozen=True, slots=True)
class Sent:
    broadcast_id: int
    queued: int  # messages queued now (recipients and the organiser's progress message)
    recipients: int
    when: datetime | None  # scheduled for; None: sent now


async def confirm(session: AsyncSession, event: Event, organiser: Member, draft: Draft, now: datetime) -> Sent:
    """Queue (or schedule) the previewed draft; checked again, since time has passed."""
    checked = await preview(session, event, organiser, draft, now)
    row = Broadcast(
        event_id=event.id, organiser_id=organiser.id, audience=checked.audience, text=draft.text.strip(), created_at=now
    )
    session.add(row)
    await session.flush()
    if checked.when is not None:
        session.add(
            CampaignStep(
                event_id=event.id,
                key=f"broadcast:{row.id}",
                kind="broadcast",
                due_at=checked.when,
                status=StepStatus.PENDING,
                enabled=True,
                payload={"broadcast_id": row.id},
            )
        )
        return Sent(row.id, 0, checked.recipients, checked.when)
    queued = await queue_broadcast(session, event, row.id, now)
    return Sent(row.id, queued, row.total, None)


async def cancel(session: AsyncSession, event: Event, broadcast_id: int, now: datetime) -> None:
    step = await session.scalar(
        select(CampaignStep).where(CampaignStep.event_id == event.id, CampaignStep.key == f"broadcast:{broadcast_id}")
    )
    if step is None or step.status != StepStatus.PENDING:
        raise UserError("That broadcast is not waiting to go out any more, so there is nothing to cancel.")
    step.status, step.note, step.finished_at = StepStatus.SKIPPED, CANCELLED, now


async def listed(session: AsyncSession, event: Event) -> list[BroadcastView]:
    """The event's broadcasts, newest first, each with its delivery report (the organiser's own progress
    message is not counted: it is not a delivery to a member)."""
    only_broadcasts = ~Broadcast.audience.startswith(delivery_report.PREFIX)  # a round's report is not one
    query = select(Broadcast).where(Broadcast.event_id == event.id, only_broadcasts).order_by(Broadcast.id.desc())
    rows = (await session.scalars(query)).all()
    steps = {
        step.key: step
        for step in (
            await session.scalars(
                select(CampaignStep).where(CampaignStep.event_id == event.id, CampaignStep.kind == "broadcast")
            )
        ).all()
    }
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for broadcast_id, status, number in (
        await session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
            .where(
                OutboxMessage.event_id == event.id,
                OutboxMessage.broadcast_id.is_not(None),
                OutboxMessage.key.not_like("%:progress"),
            )
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
        )
    ).all():
        if broadcast_id is not None:
            counts[broadcast_id][status] = number
    zone = ZoneInfo(event.time_zone)
    views = []
    for row in rows:
        tally = counts[row.id]
        report = Report(
            tally.get(OutboxStatus.SENT, 0),
            tally.get(OutboxStatus.UNREACHABLE, 0),
            tally.get(OutboxStatus.FAILED, 0),
            tally.get(OutboxStatus.UNCERTAIN, 0),
            sum(tally.get(status, 0) for status in WAITING),
        )
        step = steps.get(f"broadcast:{row.id}")
        if step is not None and step.status == StepStatus.PENDING:
            state = "scheduled"
        elif step is not None and step.status == StepStatus.SKIPPED:
            state = "cancelled" if step.note == CANCELLED else "not sent"
        elif not tally:
            state = "nobody"
        else:
            state = "sending" if report.waiting else "finished"
        when = step.due_at.astimezone(zone) if step is not None else None
        views.append(BroadcastView(row.id, row.audience, row.text, row.created_at, when, state, row.total, report))
    return views
