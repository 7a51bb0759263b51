"""Broadcasts, wherever they are written (``/broadcast``, Slack's modal, the dashboard): read strictly,
previewed (the message exactly as members will see it, to whom, how many, when), and only then queued or
scheduled.

A chat broadcast waits as a draft row until its organiser presses Send; Send acts on exactly what the preview
showed, once: pressed again it does nothing more, and a preview that no longer holds says what became of it
(sent, scheduled, cancelled, edited, replaced, or the audience changed since). An audience of nobody gets no
Send at all.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import parsing
from bot.campaign.audience import AUDIENCE_HELP, AUDIENCES, members_of, parse_audience
from bot.campaign.timing import at_local, awake, outside_quiet_hours
from bot.errors import UserError
from bot.messages import Message, MessageBuilder, bold, italic
from bot.views import plural
from storage import broadcasts as broadcast_queries
from storage.models import Broadcast, BroadcastState, CampaignStep, Event, Member, StepStatus
from storage.outbox import NewMessage, enqueue

USAGE = (
    "Write the message after the command, e.g. /broadcast Doors open at 18:00! Optionally first "
    f"“to AUDIENCE” ({AUDIENCE_HELP}) and “at YYYY-MM-DD HH:MM” (the event's time zone)."
)
CANCELLED = "cancelled by an organiser"
YIELD_EVERY = 1000  # recipients whose messages are built between two turns of the loop
# "to WORD" is an audience unless the word ends a phrase ("To everyone: hi" is just text); "at X" is a time
# when X starts with a digit or is a word for a day or an hour (so "at tomorrow" is refused, not sent as text).
_TO = re.compile(r"to\s+(interest:\"[^\"]*\"|\S+)(?:\s+|$)", re.I)
_AT = re.compile(r"at\s+(\S+)(?:\s+(\S+))?(?:\s+|$)", re.I)
_PROSE_END = tuple(":,;.!?…")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?:am|pm)?|\d{1,2}(?:am|pm)", re.I)  # an hour: "09:00", "9am", "9:30pm"
_TIME_WORDS = frozenset(
    {"today", "tonight", "tomorrow", "noon", "midnight", "morning", "afternoon", "evening", "next", "this"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the organiser wrote: the message, the audience, and the date and time (both empty: now)."""

    text: str = ""
    audience: str = "all"
    date: str = ""
    time: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "audience": self.audience, "date": self.date, "time": self.time}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        return cls(*(str(data.get(key) or "") for key in ("text", "audience", "date", "time")))

    def as_command(self) -> str:
        """The ``/broadcast`` line that writes this draft again (for the organiser to change and resend)."""
        audience = self.audience if " " not in self.audience else self.audience.replace(":", ':"', 1) + '"'
        when = f"at {self.date} {self.time} " if self.date else ""
        return f"/broadcast to {audience} {when}{self.text}"


@dataclass(frozen=True, slots=True)
class Preview:
    draft: Draft
    audience: str
    message: Message  # exactly what each member will get
    recipients: int  # members reached now (a scheduled one is counted again when it goes out)
    via_channel: bool  # "all" with a linked chat: the chat, plus direct messages to members elsewhere
    when: datetime | None  # None: now
    asleep: int = 0  # of the recipients, those in their quiet hours then: they get it at 08:00 their time

    @property
    def nobody_now(self) -> bool:
        """Nobody is in its audience now (and there is no linked chat to post it to)."""
        return self.recipients == 0 and not self.via_channel

    @property
    def empty(self) -> bool:
        """Nothing to send: nobody would get it now. (A scheduled one is counted again when it goes out, so an
        audience that fills by then, say "rsvp-yes" before the reminder asked, can still be scheduled.)"""
        return self.nobody_now and self.when is None


@dataclass(frozen=True, slots=True)
class Sent:
    broadcast_id: int
    queued: int  # messages queued now (recipients and the organiser's progress message)
    recipients: int
    when: datetime | None  # scheduled for; None: sent now


def parse_command(args: str) -> Draft:
    """``[to AUDIENCE] [at YYYY-MM-DD HH:MM] TEXT`` (either option first). An option that is there but not
    readable is refused with what is accepted: it is never sent as part of the text."""
    rest = args.strip()
    audience, date, clock = "all", "", ""
    seen: set[str] = set()
    while True:
        to = _TO.match(rest) if "to" not in seen else None
        # "To everyone: …" is prose, but "to interest: Hi" is a broken audience, not a message to all.
        if to is not None and (not to.group(1).endswith(_PROSE_END) or to.group(1).lower().startswith("interest:")):
            word = to.group(1)
            try:
                audience = parse_audience(word)
            except UserError as refusal:
                raise UserError(
                    f"{refusal.message} Nothing was sent. (To start the message itself with “to”, "
                    "write /broadcast to all to …)"
                ) from None
            rest, seen = rest[to.end() :], seen | {"to"}
            continue
        at = _AT.match(rest) if "at" not in seen else None
        if at is not None and (
            at.group(1)[:1].isdigit()
            or at.group(1).lower().strip(",.") in _TIME_WORDS
            or _CLOCK.fullmatch(at.group(2) or "")  # "at tomorow 9am": a misspelt day before an hour
        ):
            try:
                date, clock = _date_and_time(at.group(1), at.group(2) or "")
            except UserError as refusal:  # "At 6pm the doors open" read as a time: say how to send it as text
                raise UserError(
                    f"{refusal.message} (A message sent now cannot start with “at” and a time: start it another "
                    "way, e.g. “Doors open at 6pm”.)"
                ) from None
            rest, seen = rest[at.end() :], seen | {"at"}
            continue
        break
    again = _AT.match(rest) if "at" in seen else None
    if again is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", again.group(1)):
        raise UserError("That gives two times. Give one “at YYYY-MM-DD HH:MM”. Nothing was sent.")
    body = rest.strip()
    if not body:
        raise UserError(USAGE)
    return Draft(body, audience, date, clock)


def _date_and_time(day: str, clock: str) -> tuple[str, str]:
    how = "Write the time as at YYYY-MM-DD HH:MM (24-hour, the event's time zone), e.g. at 2026-12-05 09:00."
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise UserError(f"“{parsing.shorten(day, 20)}” is not a date I can read. {how} Nothing was sent.")
    if not re.fullmatch(r"\d{1,2}:\d{2}", clock):
        raise UserError(f"“{parsing.shorten(clock, 20)}” is not a time I can read. {how} Nothing was sent.")
    parsing.event_date(day)
    parsing.event_time(clock.zfill(5))
    return day, clock.zfill(5)


def when_of(event: Event, draft: Draft, now: datetime) -> datetime | None:
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


def member_message(event: Event, body: str, organiser: Member | None) -> Message:
    """The broadcast exactly as each member gets it."""
    sender = f" — from {organiser.display_name}" if organiser else ""
    builder = MessageBuilder().line("📣 ", bold(event.name), italic(sender))
    for line in body.splitlines():
        builder.line(line)
    return builder.build()


async def preview(session: AsyncSession, event: Event, organiser: Member, draft: Draft, now: datetime) -> Preview:
    """Check the draft and say what it will do; nothing is written."""
    body = draft.text.strip()
    if not body:
        raise UserError("Write the message first.")
    if len(body) > parsing.BROADCAST_LIMIT:
        raise UserError(f"Broadcasts can be at most {parsing.BROADCAST_LIMIT} characters; yours has {len(body)}.")
    audience = parse_audience(draft.audience or "all")
    when = when_of(event, draft, now)
    members = [m for m in await members_of(session, event, audience) if m.id != organiser.id]
    via_channel = audience == "all" and event.channel_platform is not None and event.channel_id is not None
    if via_channel:
        members = [m for m in members if m.platform != event.channel_platform]
    asleep = sum(1 for m in members if not awake(when or now, m.time_zone or event.time_zone))
    return Preview(draft, audience, member_message(event, body, organiser), len(members), via_channel, when, asleep)


async def nobody_note(session: AsyncSession, event: Event, organiser: Member, audience: str) -> str:
    """Why there is nothing to send, and which audiences do have people in them now."""
    counts = []
    for name in AUDIENCES:
        count = sum(1 for m in await members_of(session, event, name) if m.id != organiser.id)
        if count:
            counts.append(f"{name} ({count})")
    who = f"Audiences with people in them: {', '.join(counts)}." if counts else "Nobody else is in the event yet."
    return f"Nobody is in “{audience}” of {event.name} right now, so there is nothing to send. {who}"


async def confirm(session: AsyncSession, event: Event, organiser: Member, draft: Draft, now: datetime) -> Sent:
    """Queue (or schedule) a previewed draft at once (the dashboard's confirmation); checked again."""
    checked = await preview(session, event, organiser, draft, now)
    if checked.empty:
        raise UserError(await nobody_note(session, event, organiser, checked.audience))
    row = Broadcast(
        event_id=event.id,
        organiser_id=organiser.id,
        audience=checked.audience,
        text=draft.text.strip(),
        created_at=now,
        state=BroadcastState.CONFIRMED,
        scheduled_for=checked.when,
    )
    session.add(row)
    await session.flush()
    return await _release(session, event, row, checked, now)


async def save_draft(session: AsyncSession, event: Event, organiser: Member, checked: Preview, now: datetime) -> int:
    """Keep a previewed chat broadcast until Send; the organiser's older previews of this event go stale."""
    await session.execute(
        update(Broadcast)
        .where(
            Broadcast.event_id == event.id,
            Broadcast.organiser_id == organiser.id,
            Broadcast.state == BroadcastState.DRAFT,
        )
        .values(state=BroadcastState.DROPPED)
    )
    row = Broadcast(
        event_id=event.id,
        organiser_id=organiser.id,
        audience=checked.audience,
        text=checked.draft.text.strip(),
        created_at=now,
        total=checked.recipients,
        state=BroadcastState.DRAFT,
        scheduled_for=checked.when,
    )
    session.add(row)
    await session.flush()
    return row.id


async def draft_of(session: AsyncSession, broadcast_id: int, organiser: Member) -> tuple[Broadcast, Event]:
    """The organiser's draft a preview button names, locked; anything else is a friendly refusal."""
    row = await broadcast_queries.locked(session, broadcast_id)
    event = await session.get(Event, row.event_id) if row is not None else None
    if row is None or event is None or row.organiser_id != organiser.id:
        raise UserError("That preview is out of date. Nothing was sent. Write /broadcast again.")
    if row.state == BroadcastState.CONFIRMED:
        raise UserError(await _went_ahead(session, row, event))
    if row.state == BroadcastState.CANCELLED:
        raise UserError("You cancelled that broadcast, so nothing was sent and nothing changes now.")
    if row.state == BroadcastState.EDITED:
        raise UserError("You chose Edit on that preview, so nothing was sent from it. Send the changed /broadcast.")
    if row.state != BroadcastState.DRAFT:
        raise UserError("That preview is out of date (a newer one replaced it). Nothing was sent.")
    return row, event


def revise_draft(row: Broadcast, checked: Preview) -> None:
    """The same draft, rewritten as corrected (its preview is shown again; still nothing queued)."""
    row.audience, row.text = checked.audience, checked.draft.text.strip()
    row.total, row.scheduled_for = checked.recipients, checked.when


async def _went_ahead(session: AsyncSession, row: Broadcast, event: Event) -> str:
    """What became of a broadcast its organiser already sent or scheduled: pressing its preview's buttons again
    says so and changes nothing."""
    step = await session.scalar(
        select(CampaignStep).where(CampaignStep.event_id == event.id, CampaignStep.key == f"broadcast:{row.id}")
    )
    if step is not None and step.status == StepStatus.PENDING:
        local = step.due_at.astimezone(ZoneInfo(event.time_zone))
        return (
            f"That broadcast is already scheduled for {local:%a %d %b %H:%M}; pressing again changes nothing. "
            "See or cancel it with /broadcasts."
        )
    if step is not None and step.status == StepStatus.SKIPPED:
        why = "was cancelled before it went out" if step.note == CANCELLED else f"did not go out ({step.note})"
        return f"That broadcast {why}, so nothing was sent and nothing changes now."
    return "That broadcast has already gone ahead; pressing again does nothing more. See /broadcasts."


def draft_fields(row: Broadcast, event: Event) -> Draft:
    if row.scheduled_for is None:
        return Draft(row.text, row.audience)
    local = row.scheduled_for.astimezone(ZoneInfo(event.time_zone))
    return Draft(row.text, row.audience, f"{local:%Y-%m-%d}", f"{local:%H:%M}")


async def send_draft(
    session: AsyncSession, row: Broadcast, event: Event, organiser: Member, now: datetime
) -> Sent | Preview:
    """Send (or schedule) the draft as previewed. When the audience changed since, nothing goes out: the old
    preview is dropped and the new one returned, to be shown and confirmed."""
    checked = await preview(session, event, organiser, draft_fields(row, event), now)
    if checked.empty:  # a preview of nobody (shown before previews of nobody lost their Send): nothing changes
        raise UserError(await nobody_note(session, event, organiser, checked.audience))
    if checked.recipients != row.total:
        row.state = BroadcastState.DROPPED
        return checked
    row.state = BroadcastState.CONFIRMED
    return await _release(session, event, row, checked, now)


async def _release(session: AsyncSession, event: Event, row: Broadcast, checked: Preview, now: datetime) -> Sent:
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


def drop(row: Broadcast, why: BroadcastState) -> None:
    row.state = why


async def scheduled(session: AsyncSession, event: Event) -> list[tuple[Broadcast, CampaignStep]]:
    """The event's broadcasts waiting for their time, soonest first."""
    steps = (
        await session.scalars(
            select(CampaignStep)
            .where(
                CampaignStep.event_id == event.id,
                CampaignStep.kind == "broadcast",
                CampaignStep.status == StepStatus.PENDING,
            )
            .order_by(CampaignStep.due_at, CampaignStep.id)
        )
    ).all()
    found = []
    for step in steps:
        row = await session.get(Broadcast, int(step.payload["broadcast_id"]))
        if row is not None:
            found.append((row, step))
    return found


async def cancel(session: AsyncSession, event: Event, broadcast_id: int, now: datetime) -> None:
    step = await session.scalar(
        select(CampaignStep).where(CampaignStep.event_id == event.id, CampaignStep.key == f"broadcast:{broadcast_id}")
    )
    if step is None or step.status != StepStatus.PENDING:
        raise UserError("That broadcast is not waiting to go out any more, so there is nothing to cancel.")
    step.status, step.note, step.finished_at = StepStatus.SKIPPED, CANCELLED, now


async def queue_broadcast(session: AsyncSession, event: Event, broadcast_id: int, now: datetime) -> int:
    """Queue the broadcast's messages and the organiser's progress message; returns how many were queued."""
    row = await session.get(Broadcast, broadcast_id)
    assert row is not None
    recipients = list(await members_of(session, event, row.audience))
    organiser = await session.get(Member, row.organiser_id) if row.organiser_id else None
    if organiser is not None:
        recipients = [m for m in recipients if m.id != organiser.id]
    payload = member_message(event, row.text, organiser).to_dict()
    messages = []
    if row.audience == "all" and event.channel_platform is not None and event.channel_id is not None:
        # The linked chat reaches everyone on its platform; members elsewhere get a direct message.
        messages.append(
            NewMessage(
                f"broadcast:{row.id}:channel",
                event.channel_platform,
                event.channel_id,
                payload,
                None,
                event.id,
                "channel",
                broadcast_id=row.id,
            )
        )
        recipients = [m for m in recipients if m.platform != event.channel_platform]
    for index, m in enumerate(recipients):
        if index and index % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # 10,000 messages are 100 ms of CPU: let the loop serve others in between
        messages.append(
            NewMessage(
                f"broadcast:{row.id}:{m.id}",
                m.platform,
                m.platform_user_id,
                payload,
                m.id,
                event.id,
                broadcast_id=row.id,
                not_before=outside_quiet_hours(now, m.time_zone or event.time_zone),  # nobody is woken at 02:00
            )
        )
    row.total = len(messages)
    if organiser is not None and messages:
        progress = progress_message(event, 0, row.total, recipients_words(row.total, len(messages) != len(recipients)))
        messages.insert(
            0,
            NewMessage(
                f"broadcast:{row.id}:progress",
                organiser.platform,
                organiser.platform_user_id,
                progress.to_dict(),
                organiser.id,
                event.id,
                broadcast_id=row.id,  # sending it also triggers an update (the recipients may be done first)
            ),
        )
    return await enqueue(session, messages, now)


def recipients_words(total: int, linked_chat: bool) -> str:
    """Whom a broadcast's ``total`` messages go to: one may be the linked chat, the rest members elsewhere."""
    return f"the linked chat and {plural(total - 1, 'member')} elsewhere" if linked_chat else plural(total, "recipient")


def progress_message(event: Event, sent: int, total: int, where: str = "", waiting: int = 0) -> Message:
    """``waiting``: recipients whose message is held for the end of their quiet hours (why the count stands)."""
    builder = MessageBuilder().line("📣 Broadcast for ", bold(event.name), f" to {where}" if where else "")
    builder.line(f"Sending: {sent} of {total}…")
    if waiting:
        builder.line(f"{plural(waiting, 'recipient')} waiting for their morning (quiet hours): it goes out then.")
    return builder.build()


def report_message(event: Event, delivered: int, unreachable: int, failed: int, uncertain: int) -> Message:
    builder = MessageBuilder().line("📣 Broadcast for ", bold(event.name), " finished.")
    builder.line(f"Delivered: {delivered}  ·  unreachable: {unreachable}  ·  failed: {failed}")
    if uncertain:
        noun = "message" if uncertain == 1 else "messages"
        builder.line(italic(f"{uncertain} {noun} may not have arrived (a timeout or a restart while sending)."))
    return builder.build()
