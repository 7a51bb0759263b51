"""The words of introductions: intros, reasons, proposals, follow-ups and the odd-one-out note.

A reason is made from what the matcher scored (shared interests, roles that meet across, time zones within
the event's preference) and what it knew (a pair that met before), and from nothing else; the organiser's
preview and every member of the group read the same sentence, so it must be true for each of them: in a group
of three or more a shared interest is one at least two members hold, not necessarily the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import combinations

from bot.intros.candidates import event_rules, utc_offset_hours
from bot.matching import Group
from bot.matching.scoring import tz_distance
from bot.messages import Button, Inline, Mention, Message, MessageBuilder, bold, italic
from bot.people import Person
from storage.models import Event

PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": "the console"}
NAME_IN_BUTTON = 30  # characters of a name on a button (Slack allows 75 for the whole label)


def mention(member: Person) -> Mention:
    return Mention(member.platform, member.platform_user_id, member.display_name, member.handle)


def names(members: Sequence[Person]) -> list[Inline | str]:
    pieces: list[Inline | str] = []
    for index, member in enumerate(members):
        if index:
            pieces.append(" and " if index == len(members) - 1 else ", ")
        pieces.append(mention(member))
    return pieces


def near_hours(event: Event, members: Sequence[Person], now: datetime) -> float | None:
    """The event's time-zone preference when every pair of ``members`` is within it (the matcher's bonus, from
    the same offsets it used), else None."""
    within = event_rules(event).prefer_within_hours
    if within is None:
        return None
    offsets = [utc_offset_hours(member.time_zone or event.time_zone, now) for member in members]
    pairs = list(combinations(offsets, 2))
    if not pairs or any(a is None or b is None or tz_distance(a, b) > within for a, b in pairs):
        return None
    return within


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reason(event: Event, group: Group, members: Sequence[Person], now: datetime) -> str:
    """Why this group, in one or two sentences that are true for every member of it."""
    pair = len(group.members) == 2
    parts: list[str] = []
    if group.shared_interests:
        listed = _listed(group.shared_interests[:3])
        parts.append(f"you both picked {listed}" if pair else f"at least two of you picked {listed}")
    if group.complementary_roles:
        parts.append("you bring different sides: " + " and ".join(group.complementary_roles))
    hours = near_hours(event, members, now)
    if hours is not None:
        gap = "the same time zone" if hours == 0 else f"time zones within {hours:g} hours of each other"
        parts.append(f"you're in {gap}, so finding a time to talk is easy")
    if parts:
        why = "; ".join(parts) + "."
    elif group.repeat:
        why = "no shared interest this time."
    else:
        why = f"no shared interest this time, so I picked {'someone' if pair else 'people'} you haven't met yet."
    if group.repeat:
        met = "You two have met before" if pair else "Some of you have met before"
        why += f" {met}: this round I couldn't give everyone someone new."
    return why


def intro_buttons(group_id: int) -> tuple[Button, ...]:
    value = str(group_id)
    return (
        Button("Said hi 👋", "hi", value),
        Button("Not now", "later", value),
        Button("Don't match me with them again", "noagain", value),
    )


def relay_button(group_id: int, to: Person, *, reply: bool = False) -> Button:
    """Write to ``to`` through the bot (see :mod:`bot.commands.relay`)."""
    label = f"↩️ Reply to {_short(to.display_name)}" if reply else f"✉️ Message {_short(to.display_name)}"
    return Button(label, "relay", f"{group_id}.{to.id}")


def _short(name: str) -> str:
    return name if len(name) <= NAME_IN_BUTTON else name[: NAME_IN_BUTTON - 1] + "…"


def reach(other: Person) -> str:
    """How to reach a partner on another platform: a Telegram username works for anyone (t.me); anyone else,
    a Slack member or a Telegram member without a username, is reached through the bot."""
    place = PLATFORM_NAMES.get(other.platform, other.platform)
    through_me = "send a first message through me with the button below, and they can answer the same way"
    if other.platform == "telegram" and other.handle:
        return f"{other.display_name} is on {place} as @{other.handle} (t.me/{other.handle}), or {through_me}."
    return f"{other.display_name} is on {place}: {through_me}."


def meet_button(group_id: int) -> Button:
    """Book a time and a place to meet (offered once the event has meeting slots)."""
    return Button("Pick a time to meet 📅", "meet", str(group_id))


def intro(
    event: Event,
    recipient: Person | None,
    others: Sequence[Person],
    group: Group,
    group_id: int,
    starter: str,
    now: datetime,
    *,
    meet: bool = False,
) -> Message:
    """An intro for one recipient (naming the others), or for a group conversation (``recipient`` None)."""
    builder = MessageBuilder()
    everyone = list(others) if recipient is None else [recipient, *others]
    if recipient is None:
        builder.line("👋 ", *names(others), ": meet each other!")
    else:
        builder.line("👋 Meet ", *names(others), "!")
    builder.line(italic(f"For {event.name}"))
    builder.line(bold("Why: "), reason(event, group, everyone, now))
    elsewhere = [o for o in others if recipient is not None and o.platform != recipient.platform]
    for other in elsewhere:
        builder.line(reach(other))
    builder.line(bold("Conversation starter: "), f"“{starter}”")
    builder.buttons(*intro_buttons(group_id))
    if elsewhere:
        builder.buttons(*(relay_button(group_id, other) for other in elsewhere))
    if meet:
        builder.buttons(meet_button(group_id))
    return builder.build()


def proposal(
    event: Event,
    group: Group,
    group_id: int,
    members: Sequence[Person],
    now: datetime,
    *,
    lead: str | None = None,
) -> Message:
    """Double opt-in: the match without names (``lead``: a first line, e.g. why a new proposal comes)."""
    builder = MessageBuilder()
    if lead:
        builder.line(lead)
    size = len(group.members) - 1
    who = "someone" if size == 1 else f"{size} people"
    if group.shared_interests and size == 1:  # a pair's shared interest is the reader's too
        builder.line(
            f"I found {who} at {event.name} who's also into ", bold(", ".join(group.shared_interests[:3])), "."
        )
    else:  # in a larger group the reader may share none of it: the reason below says who does
        builder.line(f"I found {who} at {event.name} for you.")
    builder.line(bold("Why: "), reason(event, group, members, now))
    builder.line("Want an intro? I'll share names only when everyone says yes.")
    builder.buttons(
        Button("Yes, introduce us", "optin", f"{group_id}.yes"), Button("No thanks", "optin", f"{group_id}.no")
    )
    return builder.build()


def next_round(event: Event) -> str:
    """What a member who missed out may expect: a community has a next round; a dated event has one only if its
    organiser runs another, so that is no promise."""
    if event.recurrence:
        return "You're first in line for the next round."
    return "If there's another round, you're first in line."


def left_out(event: Event, why: str, *, introduced_before: bool = False) -> Message:
    """``introduced_before``: the member met someone in an earlier round, so this one brings nobody *new*."""
    what = "No new introduction for you" if introduced_before else "No introduction for you"
    builder = MessageBuilder().line(f"{what} in this round of {event.name}, sorry: {why.rstrip('.')}.")
    builder.line(next_round(event))
    return builder.build()


def partner_declined(event: Event, *, found_another: bool) -> Message:
    """To a member whose possible match said no: the outcome of looking again, never a promise."""
    builder = MessageBuilder().line(f"Your possible match at {event.name} can't make it this time.")
    if found_another:
        builder.line("I've found someone else for you: my next message asks whether you'd like that intro.")
    else:
        builder.line("I couldn't find anyone else for you this round. " + next_round(event))
    return builder.build()


def followup(event: Event, others: Sequence[Person], intro_id: int) -> Message:
    builder = MessageBuilder().line("Did you meet ", *names(others), f" at {event.name}?")
    value = str(intro_id)
    builder.buttons(
        Button("Yes 🎉", "met", f"{value}.yes"),
        Button("Not yet", "met", f"{value}.not_yet"),
        Button("No", "met", f"{value}.no"),
    )
    return builder.build()


def rating_question(intro_id: int) -> Message:
    builder = MessageBuilder().line("Great! How was it? (optional)")
    builder.buttons(*(Button("⭐" * score, "rate", f"{intro_id}.{score}") for score in range(1, 6)))
    return builder.build()


def paused_for_silence() -> Message:
    builder = MessageBuilder().line("I haven't heard back about your last three introductions, so I've paused yours.")
    builder.line("Send /resume whenever you'd like to meet people again.")
    return builder.build()
