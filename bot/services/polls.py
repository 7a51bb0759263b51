"""Replacing an event's interest poll. Options have stable ids: one whose label survives (case aside) keeps its
id and its answers; answers to a dropped option go with it, the members who gave them are told, and a member
left with no answer counts as not having answered (so ``stats`` and the "unanswered" audience stay true)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.campaign.audience import members_of
from bot.campaign.timing import outside_quiet_hours
from bot.messages import Button, MessageBuilder, bold
from storage import events as event_queries
from storage import interests as poll_queries
from storage.models import Event, InterestOption, Participant
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession


@dataclass(frozen=True, slots=True)
class PollChange:
    labels: tuple[str, ...]
    dropped: dict[str, int]  # label of each option that goes -> how many members chose it

    @property
    def loses_answers(self) -> bool:
        return any(self.dropped.values())


async def plan(session: AsyncSession, event: Event, labels: list[str]) -> PollChange:
    """What replacing the poll with ``labels`` would drop, and how many current members chose each dropped
    option (someone who left keeps their answers on file, but is not among the people the question is about)."""
    keep = {label.casefold() for label in labels}
    dropped: dict[str, int] = {}
    for option in await event_queries.options(session, event.id):
        if option.label.casefold() not in keep:
            dropped[option.label] = await poll_queries.choosers(session, event.id, option.id)
    return PollChange(tuple(labels), dropped)


async def apply(session: AsyncSession, event: Event, change: PollChange, now: datetime, key: str) -> int:
    """Replace the options; tell the members whose answers changed (``key`` makes their messages unique).
    Returns how many messages were queued."""
    existing = {o.label.casefold(): o for o in await event_queries.options(session, event.id)}
    keep = {label.casefold() for label in change.labels}
    dropped = {o.id: o.label for k, o in existing.items() if k not in keep}
    affected: dict[int, list[str]] = {}
    if dropped:
        for member_id, option_id in await poll_queries.choices_of(session, dropped):
            affected.setdefault(member_id, []).append(dropped[option_id])
        await poll_queries.drop_options(session, dropped)
    for position, label in enumerate(change.labels):
        option = existing.get(label.casefold())
        if option is None:
            session.add(InterestOption(event_id=event.id, label=label, position=position))
        else:
            option.label, option.position = label, position
    await session.flush()
    if not affected:
        return 0
    reachable = {m.id: m for m in await members_of(session, event, "all")}
    messages = []
    for member_id, lost in sorted(affected.items()):
        left = await poll_queries.labels_of(session, member_id, event.id)
        if not left:
            participant = await session.get(Participant, (event.id, member_id))
            if participant is not None:
                participant.answered_at = None
        member = reachable.get(member_id)
        if member is None:
            continue  # left, paused or unreachable: not messaged (their answers changed all the same)
        builder = MessageBuilder().line("The organisers of ", bold(event.name), " changed the interest poll.")
        gone = ", ".join(f"“{label}”" for label in sorted(lost))
        builder.line(f"{gone} {'is' if len(lost) == 1 else 'are'} no longer an option, so I took it off your answers.")
        if left:
            builder.line("Your interests now: ", bold(", ".join(left)), ". Change them any time with /interests.")
        else:
            builder.line("You have no interests left in it: pick again so I can introduce you well.")
        builder.buttons(Button("Choose my interests", "interests", str(event.id)))
        messages.append(
            NewMessage(
                f"poll:{key}:{member.id}",
                member.platform,
                member.platform_user_id,
                builder.build().to_dict(),
                member.id,
                event.id,
                not_before=outside_quiet_hours(now, member.time_zone or event.time_zone),
            )
        )
    return await enqueue(session, messages, now)
