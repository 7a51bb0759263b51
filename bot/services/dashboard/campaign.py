"""The campaign on the dashboard: its steps on a timeline, and moving one or turning it off, each shown as a
change to confirm ("Reminder: from Wed 9 Dec 10:00 to Tue 8 Dec 18:00") before it is made.

The same limits as the chat's ``/schedule``: only pending steps change; a step keyed to the event's date moves
by whole days and a local time; nothing moves into the past. A step meant for before the event cannot be
moved after its start, nor a follow-up before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot import parsing
from bot.campaign.plan import AFTER_EVENT, PRE_EVENT, TITLES, steps_of
from bot.campaign.timing import step_due
from bot.errors import UserError
from storage.models import CampaignStep, Event, StepStatus
from storage.session import AsyncSession

Action = Literal["move", "off", "on"]


@dataclass(frozen=True, slots=True)
class StepView:
    key: str
    title: str
    kind: str
    due_at: datetime  # in the event's time zone
    status: str  # pending / done / skipped / off
    note: str | None
    when: str  # in words: "2 days before, 10:00"
    day_offset: int | None
    local_time: str | None

    @property
    def movable(self) -> bool:
        return self.status in ("pending", "off") and self.day_offset is not None and self.kind != "broadcast"

    @property
    def switchable(self) -> bool:
        return self.status in ("pending", "off")


@dataclass(frozen=True, slots=True)
class Change:
    """A change to one step, as the organiser confirms it."""

    key: str
    title: str
    action: Action
    before: datetime  # in the event's time zone
    after: datetime
    day_offset: int | None = None
    local_time: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "action": self.action,
            "before": self.before.isoformat(),
            "offset": self.day_offset,
            "at": self.local_time,
        }


def in_words(step: CampaignStep) -> str:
    if step.minutes_before is not None:
        hours, minutes = divmod(step.minutes_before, 60)
        amount = f"{hours} hour{'s' if hours != 1 else ''}" if not minutes else f"{step.minutes_before} minutes"
        return f"{amount} before the start"
    if step.day_offset is None or step.local_time is None:
        return "at a set time"
    days = abs(step.day_offset)
    if days == 0:
        return f"on the day, {step.local_time}"
    side = "before" if step.day_offset < 0 else "after"
    return f"{days} day{'s' if days != 1 else ''} {side}, {step.local_time}"


def view(step: CampaignStep, zone: str) -> StepView:
    state = step.status if step.enabled or step.status != StepStatus.PENDING else "off"
    return StepView(
        step.key,
        TITLES.get(step.kind, step.kind),
        step.kind,
        step.due_at.astimezone(ZoneInfo(zone)),
        state,
        step.note,
        in_words(step),
        step.day_offset,
        step.local_time,
    )


async def timeline(session: AsyncSession, event: Event) -> list[StepView]:
    return [view(step, event.time_zone) for step in await steps_of(session, event.id)]


ALREADY: dict[str, str] = {StepStatus.DONE: "has already gone out", StepStatus.SKIPPED: "was skipped"}


def quoted(title: str) -> str:
    """The title in quotation marks, once: some titles are quotations already (“Did you meet?” and feedback)."""
    return title if title.startswith("“") else f"“{title}”"


def find(steps: list[CampaignStep], key: str) -> CampaignStep:
    for step in steps:
        if step.key == key:
            return step
    raise UserError(f"This event has no step called “{key[:40]}”.")


def propose(event: Event, step: CampaignStep, action: str, offset: str, at: str, now: datetime) -> Change:
    """The change asked for, checked; nothing is changed yet."""
    title = TITLES.get(step.kind, step.kind)
    if step.status != StepStatus.PENDING:
        already = ALREADY.get(step.status, "has already run")
        raise UserError(f"{quoted(title)} {already}: only steps still to come can change.")
    zone = ZoneInfo(event.time_zone)
    before = step.due_at.astimezone(zone)
    if action in ("off", "on"):
        return Change(step.key, title, "off" if action == "off" else "on", before, before)
    if action != "move":
        raise UserError("Choose to move the step, or to turn it off or on.")
    if step.day_offset is None or step.kind == "broadcast":
        raise UserError(f"{quoted(title)} is not tied to a day of the event, so it cannot be moved here.")
    days = parsing.small_int(offset, signed=True)
    if days is None or not -60 <= days <= 60:
        raise UserError("Give the day as a whole number of days from the event, from -60 to 60 (-1 is the day before).")
    clock_time = parsing.event_time(at.zfill(5)).strftime("%H:%M")
    due = step_due(event.starts_at, event.time_zone, days, clock_time, None)
    if due <= now:
        raise UserError("That time has already passed. Pick a later one.")
    if step.kind in PRE_EVENT and due >= event.starts_at:
        raise UserError(f"{quoted(title)} is sent before the event: pick a time before it starts.")
    if step.kind in AFTER_EVENT and due <= event.starts_at:
        raise UserError(f"{quoted(title)} is about the event itself: pick a time after it starts.")
    return Change(step.key, title, "move", before, due.astimezone(zone), days, clock_time)


def apply(event: Event, step: CampaignStep, change: dict[str, Any], now: datetime) -> Change:
    """Make a confirmed change, if the step is still as it was shown; otherwise refuse (someone moved it)."""
    try:
        shown = datetime.fromisoformat(str(change.get("before")))
    except ValueError:
        shown = None
    if shown is None or shown != step.due_at:
        raise UserError("This step changed since you looked at it. Nothing was done: review it again.")
    checked = propose(event, step, str(change.get("action")), str(change.get("offset")), str(change.get("at")), now)
    if checked.action == "move":
        step.day_offset, step.local_time, step.due_at = checked.day_offset, checked.local_time, checked.after
    else:
        step.enabled = checked.action == "on"
    return checked
