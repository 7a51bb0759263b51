"""The words of meetings: time pickers, proposals, confirmations, reminders and cancellations.

Every time is shown in the event's zone (where the meeting happens) and, when it differs, the member's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.intros.texts import meet_button, names
from bot.messages import Attachment, Button, Message, MessageBuilder, bold, italic
from storage.models import Event, Meeting, MeetingSlot, Member

PICK = meet_button(0).label
MAX_CHOICES = 12  # time buttons in one message (Slack allows 25 per row, Telegram 100 in all)


def zone_of(member: Member | None, event: Event) -> str:
    return (member.time_zone if member is not None else None) or event.time_zone


def when(moment: datetime, event: Event, member: Member | None) -> str:
    """``19:15`` in the event's zone, with the member's own clock beside it when theirs differs."""
    local = moment.astimezone(ZoneInfo(event.time_zone))
    mine = moment.astimezone(ZoneInfo(zone_of(member, event)))
    label = f"{local:%H:%M}"
    if mine.utcoffset() != local.utcoffset():
        day = "" if mine.date() == local.date() else f" {mine:%a}"
        label += f" (your{day} {mine:%H:%M})"
    return label


def day_of(moment: datetime, event: Event) -> str:
    return f"{moment.astimezone(ZoneInfo(event.time_zone)):%a %d %b}"


def picker(
    event: Event,
    member: Member,
    others: Sequence[Member],
    proposal_id: int,
    free: Sequence[MeetingSlot],
    chosen: Sequence[int],
    *,
    moving: Meeting | None = None,
) -> Message:
    """Free times as toggles, then "Send"; pressing a time updates this message in place."""
    builder = MessageBuilder()
    verb = "a new time" if moving is not None else "one or more times"
    builder.line(
        f"Pick {verb} to meet ", *names(list(others)), f" at {event.name} ({day_of(free[0].starts_at, event)}):"
    )
    builder.line(italic(f"Times are {event.time_zone}; yours in brackets where your clock differs."))
    shown = list(free[:MAX_CHOICES])
    row: list[Button] = []
    for slot in shown:
        mark = "✅ " if slot.id in chosen else ""
        row.append(Button(mark + when(slot.starts_at, event, member), "mtime", f"{proposal_id}.{slot.id}"))
        if len(row) == 3:
            builder.buttons(*row)
            row = []
    builder.buttons(*row)
    if len(free) > len(shown):
        builder.line(italic(f"Showing the next {len(shown)} free times."))
    label = "Send proposal" if not chosen else f"Send proposal ({len(chosen)})"
    builder.buttons(Button(label, "msend", str(proposal_id)))
    return builder.build()


def proposal(
    event: Event, recipient: Member, proposer: Member, proposal_id: int, slots: Sequence[MeetingSlot]
) -> Message:
    builder = MessageBuilder().line("📅 ", *names([proposer]), f" would like to meet you at {event.name}.")
    builder.line(f"Pick a time that suits you ({day_of(slots[0].starts_at, event)}), or suggest another:")
    builder.buttons(
        *(Button(when(s.starts_at, event, recipient), "mok", f"{proposal_id}.{s.id}") for s in slots[:MAX_CHOICES])
    )
    builder.buttons(Button("Suggest another time", "mother", str(proposal_id)))
    return builder.build()


def summary(meeting: Meeting, event: Event, member: Member | None) -> str:
    return f"{day_of(meeting.starts_at, event)}, {when(meeting.starts_at, event, member)} at {meeting.place_name}"


def confirmation(
    meeting: Meeting, event: Event, recipient: Member | None, others: Sequence[Member], link: str, *, moved: bool
) -> Message:
    """``recipient`` None: the group conversation (Slack's group DM), in the event's zone."""
    builder = MessageBuilder()
    headline = "🔁 Moved: " if moved else "✅ Booked: "
    builder.line(headline, "you're meeting " if recipient is not None else "", *names(list(others)))
    builder.line(bold(summary(meeting, event, recipient)), f" ({event.name})")
    builder.line("I'll remind you ten minutes before. Add it to your calendar: the file is below, or Google:")
    builder.line(link)
    builder.buttons(
        Button("Reschedule", "mmove", str(meeting.id)), Button("Cancel meeting", "mcancel", str(meeting.id))
    )
    return builder.build()


def calendar_file(meeting: Meeting, event: Event, member: Member | None, file: Attachment) -> Message:
    """The calendar file, named on the file itself too (Telegram's caption, Slack's title)."""
    caption = f"📎 Calendar file: {summary(meeting, event, member)}"
    builder = MessageBuilder().line(caption)
    return builder.build(attachments=(replace(file, caption=caption),))


def calendar_cancel(meeting: Meeting, event: Event, member: Member, file: Attachment) -> Message:
    """The calendar file that takes the cancelled meeting out of the member's calendar."""
    caption = f"📎 Calendar update (cancelled): {summary(meeting, event, member)}"
    return MessageBuilder().line(caption).build(attachments=(replace(file, caption=caption),))


def reminder(meeting: Meeting, event: Event, recipient: Member, others: Sequence[Member]) -> Message:
    local = meeting.starts_at.astimezone(ZoneInfo(event.time_zone))
    builder = MessageBuilder().line(
        "⏰ You're meeting ", *names(list(others)), f" at {meeting.place_name} at {local:%H:%M}"
    )
    mine = meeting.starts_at.astimezone(ZoneInfo(zone_of(recipient, event)))
    if mine.utcoffset() != local.utcoffset():
        builder.line(italic(f"({mine:%H:%M} on your clock) — in ten minutes."))
    else:
        builder.line(italic("In ten minutes. Enjoy!"))
    return builder.build()


def cancelled(
    meeting: Meeting, event: Event, recipient: Member, why: str, group_id: int | None, *, freed: bool = True
) -> Message:
    """``freed``: the slot and place still exist, free for others (not when the organisers removed them)."""
    builder = MessageBuilder().line(f"❌ Your meeting {summary(meeting, event, recipient)} is off: {why}")
    if freed:
        builder.line("The slot is free again.")
    if group_id is not None:
        builder.buttons(meet_button(group_id))
    return builder.build()


def slot_lost(event: Event, member: Member, lost: MeetingSlot, next_free: MeetingSlot | None, group_id: int) -> Message:
    builder = MessageBuilder().line(
        f"Sorry: {when(lost.starts_at, event, member)} was just taken by someone else, so nothing was booked."
    )
    if next_free is None:
        builder.line("There is no free time left at the moment.")
        return builder.build()
    builder.line(f"The next free time is {when(next_free.starts_at, event, member)}.")
    builder.buttons(
        Button(f"Propose {when(next_free.starts_at, event, None)}", "mquick", f"{group_id}.{next_free.id}"),
        meet_button(group_id),
    )
    return builder.build()
