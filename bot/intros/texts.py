"""The words of introductions: intros, reasons, proposals, follow-ups and the odd-one-out note."""

from __future__ import annotations

from collections.abc import Sequence

from bot.matching import Group
from bot.messages import Button, Inline, Mention, Message, MessageBuilder, bold, italic
from storage.models import Event, Member

PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": "the console"}


def mention(member: Member) -> Mention:
    return Mention(member.platform, member.platform_user_id, member.display_name, member.handle)


def names(members: Sequence[Member]) -> list[Inline | str]:
    pieces: list[Inline | str] = []
    for index, member in enumerate(members):
        if index:
            pieces.append(" and " if index == len(members) - 1 else ", ")
        pieces.append(mention(member))
    return pieces


def reason(group: Group) -> str:
    if group.shared_interests:
        listed = group.shared_interests[:3]
        joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        if len(group.members) == 2:
            return f"you both picked {joined}."
        return f"between you, you share {joined}."
    if group.complementary_roles:
        return "you bring different sides: " + " and ".join(group.complementary_roles) + "."
    return "you haven't met yet, and the rest of the room was spoken for."


def intro_buttons(group_id: int) -> tuple[Button, ...]:
    value = str(group_id)
    return (
        Button("Said hi 👋", "hi", value),
        Button("Not now", "later", value),
        Button("Don't match me with them again", "noagain", value),
    )


def meet_button(group_id: int) -> Button:
    """Book a time and a place to meet (offered once the event has meeting slots)."""
    return Button("Pick a time to meet 📅", "meet", str(group_id))


def intro(
    event: Event,
    recipient: Member | None,
    others: Sequence[Member],
    group: Group,
    group_id: int,
    starter: str,
    *,
    meet: bool = False,
) -> Message:
    """An intro for one recipient (naming the others), or for a group conversation (``recipient`` None)."""
    builder = MessageBuilder()
    if recipient is None:
        builder.line("👋 ", *names(others), ": meet each other!")
    else:
        builder.line("👋 Meet ", *names(others), "!")
    builder.line(italic(f"For {event.name}"))
    builder.line(bold("Why: "), reason(group))
    for other in others:
        if recipient is not None and other.platform != recipient.platform:
            place = PLATFORM_NAMES.get(other.platform, other.platform)
            handle = f" as @{other.handle}" if other.handle else ""
            builder.line(f"{other.display_name} is on {place}{handle}: reach out there.")
    builder.line(bold("Conversation starter: "), f"“{starter}”")
    builder.buttons(*intro_buttons(group_id))
    if meet:
        builder.buttons(meet_button(group_id))
    return builder.build()


def proposal(event: Event, group: Group, group_id: int) -> Message:
    """Double opt-in: the match without names."""
    builder = MessageBuilder()
    size = len(group.members) - 1
    who = "someone" if size == 1 else f"{size} people"
    if group.shared_interests:
        builder.line(
            f"I found {who} at {event.name} who's also into ", bold(", ".join(group.shared_interests[:3])), "."
        )
    else:
        builder.line(f"I found {who} at {event.name} you haven't met yet.")
    builder.line("Want an intro? I'll share names only when everyone says yes.")
    builder.buttons(
        Button("Yes, introduce us", "optin", f"{group_id}.yes"), Button("No thanks", "optin", f"{group_id}.no")
    )
    return builder.build()


def left_out(event: Event, why: str) -> Message:
    builder = MessageBuilder().line(f"No introduction for you in this round of {event.name}, sorry: {why}")
    builder.line("You're first in line for the next round.")
    return builder.build()


def followup(event: Event, others: Sequence[Member], intro_id: int) -> Message:
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
