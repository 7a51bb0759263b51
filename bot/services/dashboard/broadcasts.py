"""Broadcasts from the dashboard: a draft is previewed (the message as members will see it, to whom, how many,
when), then confirmed once; scheduled ones can be cancelled; each has its delivery report.

Reading, previewing and queuing are the broadcast service's (``bot.services.broadcasts``), the same that
``/broadcast`` and Slack's modal use, so a broadcast sent here is the same as one sent from the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.intros import delivery_report
from bot.services.broadcasts import CANCELLED, Draft, Preview, Sent, cancel, confirm, preview
from storage import broadcasts as broadcast_queries
from storage import schedule
from storage.models import Event, OutboxStatus, StepStatus
from storage.session import AsyncSession

__all__ = ["BroadcastView", "Draft", "Preview", "Report", "Sent", "cancel", "confirm", "listed", "preview"]

WAITING = (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


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


async def listed(session: AsyncSession, event: Event) -> list[BroadcastView]:
    """The event's broadcasts, newest first, each with its delivery report (the organiser's own progress
    message is not counted: it is not a delivery to a member)."""
    rows = await broadcast_queries.confirmed_of(
        session,
        event.id,
        except_audience_prefix=delivery_report.PREFIX,  # a round's report is not one
    )
    steps = {step.key: step for step in await schedule.steps_of_kind(session, event.id, "broadcast")}
    counts = await broadcast_queries.delivery_tallies(session, event.id)
    zone = ZoneInfo(event.time_zone)
    views = []
    for row in rows:
        tally = counts.get(row.id, {})
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
