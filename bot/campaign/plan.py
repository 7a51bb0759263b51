"""The default campaign of an event, and keeping its steps' due times in line with the event's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.campaign.timing import at_local, local_date, step_due
from storage import schedule
from storage.models import CampaignStep, Event, StepStatus
from storage.session import AsyncSession


@dataclass(frozen=True, slots=True)
class StepSpec:
    key: str
    kind: str
    title: str
    day_offset: int | None = None
    local_time: str | None = None
    minutes_before: int | None = None


DEFAULT_CAMPAIGN = (
    StepSpec("welcome", "welcome", "Welcome and interest poll", -14, "10:00"),
    StepSpec("interest_prompt", "interest_prompt", "Shared-interest prompt in the event's chat", -10, "12:00"),
    StepSpec("intros", "intros", "Introductions", -7, "10:00"),
    StepSpec("say_hi", "say_hi", "“Have you said hi?”", -3, "10:00"),
    StepSpec("reminder", "reminder", "Reminder with RSVP", -1, "10:00"),
    StepSpec("lookout", "lookout", "“Look out for your match”", minutes_before=120),
    StepSpec("followup", "followup", "“Did you meet?” and feedback", 1, "10:00"),
    StepSpec("keep_going", "keep_going", "Keep the conversation going", 7, "10:00"),
)
TITLES = {spec.kind: spec.title for spec in DEFAULT_CAMPAIGN} | {
    "broadcast": "Scheduled broadcast",
    "community_round": "Community round",
    "round_notice": "Notice of tomorrow's round",
}
PRE_EVENT = {"welcome", "interest_prompt", "intros", "say_hi", "reminder", "lookout"}
AFTER_EVENT = frozenset({"followup", "keep_going"})  # about the event itself: only after it has started
# Steps before the event whose messages name a day ("two weeks away", "in three days", "tomorrow"): each member
# gets them at the step's hour on the step's date in their own zone. For a member east of the event's zone that
# moment comes before the step's time, so these steps fire up to EARLY_LEAD before it (the farthest zone is
# UTC+14: for an event at UTC or east of it, every member gets their own hour; west of it, the farthest east
# get the step as soon as it fires, on its date when awake) and each member's message waits for its own hour
# (the outbox's not_before). Not among them: rounds (matched at their own time, with everyone who joined by
# then) and steps after the event (fired early they could ask "did you meet?" while it is still going on).
DATED = frozenset({"welcome", "say_hi", "reminder"})
EARLY_LEAD = timedelta(hours=14)


def add_default_campaign(session: AsyncSession, event: Event, now: datetime) -> None:
    """The default steps; a step whose time has already passed is recorded as skipped, not run late."""
    for spec in DEFAULT_CAMPAIGN:
        due = step_due(event.starts_at, event.time_zone, spec.day_offset, spec.local_time, spec.minutes_before)
        session.add(
            CampaignStep(
                event_id=event.id,
                key=spec.key,
                kind=spec.kind,
                day_offset=spec.day_offset,
                local_time=spec.local_time,
                minutes_before=spec.minutes_before,
                due_at=due,
                enabled=True,
                status=StepStatus.PENDING if due > now else StepStatus.SKIPPED,
                note=None if due > now else "already past when the event was created",
                payload={},
            )
        )


async def steps_of(session: AsyncSession, event_id: int) -> list[CampaignStep]:
    return await schedule.steps_of(session, event_id)


async def reschedule(session: AsyncSession, event: Event, now: datetime) -> tuple[int, int]:
    """After the event's date moved: every pending step relative to it moves with it; finished steps stay
    finished, and a step set for a moment of its own (a broadcast scheduled "at 2026-12-05 09:00") keeps it.

    Returns (moved, now_past): steps whose new time is already past are skipped rather than fired late.
    """
    moved = past = 0
    for step in await steps_of(session, event.id):
        if step.status != StepStatus.PENDING or step.kind in ("community_round", "round_notice"):
            continue
        if step.minutes_before is None and (step.day_offset is None or step.local_time is None):
            continue
        step.due_at = step_due(event.starts_at, event.time_zone, step.day_offset, step.local_time, step.minutes_before)
        moved += 1
        if step.due_at <= now and step.kind in PRE_EVENT:
            step.status, step.note, step.finished_at = StepStatus.SKIPPED, "its new time had passed", now
            past += 1
    return moved, past


async def preview_reschedule(session: AsyncSession, event: Event, start: datetime, now: datetime) -> list[str]:
    """What :func:`reschedule` would do if the event started at ``start``: the keys of the pending steps that
    would move, each suffixed with " (skipped)" when its new time would already be past. Nothing is written."""
    found = []
    for step in await steps_of(session, event.id):
        if step.status != StepStatus.PENDING or step.kind in ("community_round", "round_notice"):
            continue
        if step.minutes_before is None and (step.day_offset is None or step.local_time is None):
            continue
        due = step_due(start, event.time_zone, step.day_offset, step.local_time, step.minutes_before)
        found.append(step.key + (" (skipped)" if due <= now and step.kind in PRE_EVENT else ""))
    return found


def next_occurrence(recurrence: dict[str, Any], zone: str, after: datetime) -> datetime:
    """The first community round strictly after ``after``, on the weekday and local time asked for.

    Weekly: every week; fortnightly: every other week (the caller passes the last round plus a week);
    monthly: the first such weekday of each month.
    """
    weekday, clock_time, every = int(recurrence["weekday"]), str(recurrence["time"]), str(recurrence["every"])
    day = local_date(after, zone)
    if every == "monthly":
        candidate = _first_weekday(day.replace(day=1), weekday)
        while at_local(candidate, clock_time, zone) <= after:
            candidate = _first_weekday((candidate.replace(day=28) + timedelta(days=4)).replace(day=1), weekday)
        return at_local(candidate, clock_time, zone)
    candidate = day + timedelta(days=(weekday - day.weekday()) % 7)
    while at_local(candidate, clock_time, zone) <= after:
        candidate += timedelta(days=7)
    return at_local(candidate, clock_time, zone)


def _first_weekday(first_of_month: date, weekday: int) -> date:
    return first_of_month + timedelta(days=(weekday - first_of_month.weekday()) % 7)


def add_community_round(session: AsyncSession, event: Event, when: datetime, now: datetime) -> None:
    """A community's next round and, the day before, a notice so members can pause."""
    day = local_date(when, event.time_zone).isoformat()
    notice = when - timedelta(days=1)
    session.add(
        CampaignStep(
            event_id=event.id,
            key=f"notice:{day}",
            kind="round_notice",
            due_at=notice,
            status=StepStatus.PENDING if notice > now else StepStatus.SKIPPED,
            enabled=True,
            payload={"round_at": when.isoformat()},
        )
    )
    session.add(
        CampaignStep(
            event_id=event.id,
            key=f"round:{day}",
            kind="community_round",
            due_at=when,
            status=StepStatus.PENDING,
            enabled=True,
            payload={},
        )
    )
