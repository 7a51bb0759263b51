"""Settings: a member's role and cross-platform consent; an organiser's matching rules and starters."""

from __future__ import annotations

from sqlalchemy import select

from bot import parsing
from bot.campaign.audience import members_of
from bot.campaign.timing import known_zone
from bot.commands import outcomes
from bot.context import Context
from bot.errors import UserError
from bot.intros.candidates import event_rules
from bot.matching.sizes import best_split
from bot.messages import MessageBuilder, bold, italic, text
from storage import events as event_queries
from storage.models import Starter, TimeZoneSource

ROLE_LIMIT = 40
STARTER_LIMIT = 300
RULES_USAGE = (
    "Use /rules size 2|3|4, /rules optin on|off, /rules roles recruiter/candidate (or off), "
    "/rules cap N|off, /rules tz HOURS|off, /rules holdout PERCENT|off."
)


async def role(ctx: Context, args: str) -> None:
    event = await ctx.current_event()
    member = ctx.require_member()
    participant = await event_queries.participant(ctx.session, event.id, member.id)
    if participant is None:
        raise UserError(f"Join {event.name} first.")
    value = " ".join(args.split()).casefold()
    if not value:
        raise UserError("Say your role after the command, e.g. /role recruiter (or /role off).")
    if len(value) > ROLE_LIMIT:
        raise UserError(f"Roles can be at most {ROLE_LIMIT} characters.")
    participant.role = None if value == "off" else value
    ctx.reply(text(f"Your role in {event.name}: {participant.role or 'none'}."))


async def time_zone(ctx: Context, args: str) -> None:
    """Your own zone wins over your platform profile's; ``auto`` hands it back to the profile."""
    member = ctx.require_member()
    value = args.strip()
    if not value:
        current = member.time_zone or "not set (your events' time zones are used)"
        source = " (from your profile)" if member.time_zone_source == TimeZoneSource.PLATFORM else ""
        raise UserError(
            f"Your time zone: {current}{source}. Set it with /timezone Europe/London (an IANA name), "
            "or /timezone auto to follow your profile."
        )
    if value.lower() == "auto":
        member.time_zone = known_zone(ctx.sender.time_zone)
        member.time_zone_source = TimeZoneSource.PLATFORM if member.time_zone else None
        follows = f"your profile's, {member.time_zone}" if member.time_zone else "your events' (your profile has none)"
        ctx.reply(text(f"Your time zone now follows {follows}."))
        return
    member.time_zone = parsing.time_zone(value).key
    member.time_zone_source = TimeZoneSource.MEMBER
    note = parsing.zone_note(member.time_zone)
    meaning = f" ({note})" if note else ""
    ctx.reply(text(f"Your time zone is now {member.time_zone}{meaning}: I'll message you at sensible local hours."))


async def cross_platform(ctx: Context, args: str) -> None:
    member = ctx.require_member()
    value = args.strip().lower()
    if value not in ("on", "off"):
        state = "on" if member.cross_platform_ok else "off"
        raise UserError(f"Introductions to people on other platforms are {state}. Use /crossplatform on or off.")
    member.cross_platform_ok = value == "on"
    if member.cross_platform_ok:
        ctx.reply(
            text("On: I may introduce you to people on other platforms (Slack, Telegram), with your name and handle.")
        )
    else:
        ctx.reply(text("Off: I'll only introduce you to people on this platform."))


async def rules(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    words = args.split()
    if words and words[0].lower() == "holdout":
        await outcomes.holdout_rule(ctx, event, " ".join(words[1:]))
        return
    if words:
        setting, value = words[0].lower(), " ".join(words[1:]).lower()
        current = dict(event.rules or {})
        if setting == "size" and value in ("2", "3", "4"):
            event.group_size = int(value)
        elif setting == "optin" and value in ("on", "off"):
            event.double_opt_in = value == "on"
        elif setting == "roles" and value == "off":
            current.pop("cross_roles", None)
        elif setting == "roles" and value.count("/") == 1 and all(value.split("/")) and _two_roles(value):
            pair = sorted(part.strip() for part in value.split("/"))
            current["cross_roles"] = [*current.get("cross_roles", []), pair]
        elif setting in ("cap", "tz") and value == "off":
            current.pop("max_per_role" if setting == "cap" else "prefer_within_hours", None)
        elif setting == "cap" and (cap := parsing.small_int(value)) is not None and 1 <= cap <= 4:
            current["max_per_role"] = cap
        elif setting == "tz" and (hours := parsing.small_int(value)) is not None and 0 <= hours <= 24:
            current["prefer_within_hours"] = hours
        else:
            raise UserError(_refusal(setting, value))
        event.rules = current
    effective = event_rules(event)
    builder = MessageBuilder().line(bold(f"Matching rules for {event.name}"))
    builder.line(f"Group size: {effective.group_size}")
    ready = len(await members_of(ctx.session, event, "all"))
    explained = group_sizes_in_words(ready, effective.group_size)
    if explained:
        builder.line(italic(explained))
    builder.line(f"Double opt-in: {'on' if event.double_opt_in else 'off'}")
    pairs = ", ".join("/".join(sorted(pair)) for pair in effective.cross_roles) or "none"
    builder.line(f"Roles that meet across: {pairs}")
    builder.line(f"Most of one role in a group: {effective.max_per_role or 'no limit'}")
    within = effective.prefer_within_hours
    builder.line(f"Prefer time zones within: {f'{within:g} hours' if within is not None else 'no preference'}")
    builder.line(await outcomes.holdout_line(ctx.session, event))
    ctx.reply(builder.build())


RULE_HELP = {  # what each setting takes, said when a value is not one of them
    "size": "Group size is 2, 3 or 4, e.g. /rules size 3.",
    "optin": "Double opt-in is on or off, e.g. /rules optin on.",
    "roles": "Name two different roles that should meet, e.g. /rules roles recruiter/candidate (or /rules roles off).",
    "cap": "The most of one role in a group is a whole number from 1 to 4, or off, e.g. /rules cap 2.",
    "tz": "The time-zone preference is a whole number of hours from 0 to 24, or off, e.g. /rules tz 3.",
}


def _two_roles(value: str) -> bool:
    first, second = (part.strip() for part in value.split("/"))
    return first != second


def _refusal(setting: str, value: str) -> str:
    """A specific answer: which value of which setting was not understood, and what it takes."""
    if setting not in RULE_HELP:
        return f"“{parsing.shorten(setting, 20)}” is not a rule I know. {RULES_USAGE}"
    wrote = f"“{parsing.shorten(value, 20)}” is not a value for {setting}. " if value else ""
    return f"{wrote}{RULE_HELP[setting]} Nothing was changed."


def group_sizes_in_words(people: int, size: int) -> str:
    """Why a round's groups may not all have the size asked for, for ``people`` members ready now."""
    split = best_split(people, size)
    if split is None or people < 2:
        return f"With {people} {'member' if people == 1 else 'members'} ready now there is no group to make yet."
    small, exact, big = split
    if not small and not big:
        return ""
    if people < size:
        return f"With {people} members ready now, fewer than {size}, they make one group of {people}."
    sizes = [size + 1] * big + [size] * exact + [size - 1] * small
    shape = " + ".join(str(n) for n in sizes)
    return (
        f"With {people} members ready now, groups of {size} come out as {shape}: {people} does not divide by "
        f"{size}, and a group of one is no group, so {'one' if small + big == 1 else 'some'} "
        f"{'is' if small + big == 1 else 'are'} a person {'larger' if big else 'smaller'}."
    )


async def starter(ctx: Context, args: str) -> None:
    event = await ctx.organised_event()
    interest, colon, body = args.partition(":")
    interest, body = " ".join(interest.split()), " ".join(body.split())
    if not args.strip():
        rows = (await ctx.session.scalars(select(Starter).where(Starter.event_id == event.id))).all()
        builder = MessageBuilder().line(bold("Your conversation starters"))
        for row in rows:
            builder.line(f"• {row.interest}: {row.text}")
        if not rows:
            builder.line("None yet: the built-in library is used. Add one with /starter Hiking: Best trail nearby?")
        ctx.reply(builder.build())
        return
    if not colon or not interest or not body:
        raise UserError("Use /starter INTEREST: your question, e.g. /starter Hiking: What's the best trail nearby?")
    if len(body) > STARTER_LIMIT or len(interest) > parsing.OPTION_LIMIT:
        raise UserError(
            f"Keep starters under {STARTER_LIMIT} characters and the interest under {parsing.OPTION_LIMIT}."
        )
    labels = [option.label for option in await event_queries.options(ctx.session, event.id)]
    if not labels:
        raise UserError(f"{event.name} has no interest poll yet: set it with /poll, then add starters for its options.")
    option = next((label for label in labels if label.casefold() == interest.casefold()), None)
    if option is None:  # a starter is picked by an interest a group shares: one outside the poll is never used
        raise UserError(
            f"“{parsing.shorten(interest, 40)}” is not an option of the poll of {event.name}. "
            f"Its options: {', '.join(labels)}."
        )
    ctx.session.add(Starter(event_id=event.id, interest=option, text=body))
    ctx.reply(text(f"Added a starter for {option}."))
