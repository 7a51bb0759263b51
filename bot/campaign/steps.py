"""What each campaign step does when it fires. Every message goes to the outbox with a key per
(step, recipient), so a step that runs twice (a crash before its commit) cannot send anything twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaign import audience
from bot.campaign.plan import DATED, PRE_EVENT, add_community_round, next_occurrence
from bot.campaign.timing import member_delivery
from bot.context import Policy
from bot.intros import texts
from bot.intros.followups import send_followups
from bot.intros.outlook import intros_outlook
from bot.intros.rounds import plan_round, run_round
from bot.messages import Button, Message, MessageBuilder, bold
from bot.outcomes.draw import holdout_note
from bot.people import Person
from bot.services.broadcasts import queue_broadcast
from bot.views import local_start, plural
from storage import events as event_queries
from storage import rounds
from storage.models import (
    Block,
    CampaignStep,
    Event,
    InterestOption,
    Intro,
    IntroState,
    Member,
    MemberInterest,
    Participant,
    Round,
)
from storage.outbox import NewMessage, enqueue


@dataclass(frozen=True, slots=True)
class StepRun:
    session: AsyncSession
    event: Event
    step: CampaignStep
    now: datetime
    policy: Policy

    def deliver_at(self, member: Person) -> datetime:
        """A step due at a local hour (10:00) reaches each member at that hour in their own zone; a step
        relative to the start (two hours before) as soon as their waking hours allow."""
        relative = self.step.minutes_before is not None
        step_local = None if relative else self.step.due_at.astimezone(ZoneInfo(self.event.time_zone))
        deadline = self.event.starts_at if self.step.kind in PRE_EVENT else None
        zone = member.time_zone or self.event.time_zone
        dated = self.step.kind in DATED
        return member_delivery(self.now, zone, step_local=step_local, deadline=deadline, dated=dated)

    async def to_members(self, members: Sequence[Member], build: Callable[[Member], Message | None]) -> int:
        messages = []
        for member in members:
            message = build(member)
            if message is not None:
                messages.append(
                    NewMessage(
                        f"step:{self.step.id}:{member.id}",
                        member.platform,
                        member.platform_user_id,
                        message.to_dict(),
                        member.id,
                        self.event.id,
                        not_before=self.deliver_at(member),
                        broadcast_id=self.step.payload.get("broadcast_id"),
                    )
                )
        return await enqueue(self.session, messages, self.now)


async def _latest_intros(run: StepRun, states: tuple[str, ...]) -> list[tuple[Member, list[Member]]]:
    """Members of the event's latest round in these states, each with the others of their group who are still
    coming: nobody who left the event or said they can't make it is messaged or named; a member whose group has
    nobody left to name is not messaged (a message never names nobody)."""
    last = await run.session.scalar(select(func.max(Round.id)).where(Round.event_id == run.event.id))
    if last is None:
        return []
    rows = (
        await run.session.execute(
            select(Intro, Member)
            .join(Member, Member.id == Intro.member_id)
            .join(Participant, (Participant.member_id == Member.id) & (Participant.event_id == run.event.id))
            .where(
                Intro.round_id == last,
                Intro.group_id.is_not(None),
                Participant.left_at.is_(None),
                Participant.rsvp.is_distinct_from("no"),
            )
            .order_by(Member.id)
        )
    ).all()
    by_group: dict[int, list[Member]] = {}
    for intro, member in rows:
        by_group.setdefault(intro.group_id or 0, []).append(member)
    in_round = select(Intro.member_id).where(Intro.round_id == last)
    blocks = await run.session.execute(select(Block.member_id, Block.blocked_id).where(Block.member_id.in_(in_round)))
    # Either way round: nobody is reminded of, or named to, someone one of the two blocked.
    blocked = {pair for a, b in blocks for pair in ((a, b), (b, a))}
    found = []
    for intro, member in rows:
        others = [o for o in by_group[intro.group_id or 0] if o.id != member.id and (member.id, o.id) not in blocked]
        if intro.state in states and member.status == "active" and others:
            found.append((member, others))
    return found


async def welcome(run: StepRun) -> str:
    members = await audience.members_of(run.session, run.event, "all")
    unanswered = {m.id for m in await audience.members_of(run.session, run.event, "unanswered")}
    has_poll = bool(await event_queries.options(run.session, run.event.id))
    note = await holdout_note(run.session, run.event.id)
    outlook = await intros_outlook(run.session, run.event, run.now)

    def build(member: Member) -> Message:
        builder = MessageBuilder().line(bold(run.event.name), f" is two weeks away: {local_start(run.event)}.")
        if has_poll and member.id not in unanswered:
            builder.line("Thanks for telling me your interests. ", outlook)
        elif has_poll:
            builder.line("Tell me what you're into and I'll introduce you to people who share it.")
            builder.buttons(Button("Choose my interests", "interests", str(run.event.id)))
        if note:
            builder.line(note)
        return builder.build()

    return f"queued {await run.to_members(members, build)}"


async def interest_prompt(run: StepRun) -> str:
    event = run.event
    if event.channel_id is None or event.channel_platform is None:
        return "no linked chat"
    tallies = (
        await run.session.execute(
            select(InterestOption.label, func.count(MemberInterest.member_id))
            .join(MemberInterest, MemberInterest.option_id == InterestOption.id)
            .where(InterestOption.event_id == event.id)
            .group_by(InterestOption.id, InterestOption.label)
            .order_by(func.count(MemberInterest.member_id).desc())
            .limit(3)
        )
    ).all()
    builder = MessageBuilder().line("👋 What's everyone into? The most picked interests for ", bold(event.name), ":")
    for label, count in tallies:
        builder.line(f"• {label} ({count})")
    builder.line("Say hi to someone who shares yours!")
    message = NewMessage(
        f"step:{run.step.id}:channel",
        event.channel_platform,
        event.channel_id,
        builder.build().to_dict(),
        None,
        event.id,
        "channel",
    )
    return f"queued {await enqueue(run.session, [message], run.now)}"


async def intros(run: StepRun, *, repeatable: bool = False) -> str:
    if not repeatable and await rounds.introduced_anyone(run.session, run.event.id):
        return "skipped: the organisers already ran a round (/match now)"
    plan = await plan_round(run.session, run.event, run.now)
    if not plan.result.groups and not plan.result.left_out:
        return "nobody to introduce"
    queued = await run_round(run.session, run.event, plan, run.now, run.policy.group_dm_platforms, run.deliver_at)
    return f"round {plan.number}: {plural(len(plan.result.groups), 'group')}, queued {queued}"


async def say_hi(run: StepRun) -> str:
    introduced = await _latest_intros(run, (IntroState.INTRODUCED,))
    pending = {member.id: others for member, others in introduced}

    def build(member: Member) -> Message:
        builder = MessageBuilder().line("Have you said hi to ", *texts.names(pending[member.id]), " yet? 👋")
        builder.line(f"{run.event.name} is in three days: a short hello now makes the evening easier.")
        return builder.build()

    return f"queued {await run.to_members([m for m, _ in introduced], build)}"


async def reminder(run: StepRun) -> str:
    members = await audience.members_of(run.session, run.event, "all")

    def build(member: Member) -> Message:
        builder = MessageBuilder().line(bold(run.event.name), f" is tomorrow: {local_start(run.event)}.")
        if run.event.venue:
            builder.line(f"Where: {run.event.venue}")
        builder.line("Still coming?")
        value = str(run.event.id)
        builder.buttons(
            Button("Yes, see you there", "rsvp", f"{value}.yes"), Button("Can't make it", "rsvp", f"{value}.no")
        )
        return builder.build()

    return f"queued {await run.to_members(members, build)}"


async def lookout(run: StepRun) -> str:
    introduced = await _latest_intros(run, (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW))
    others = {member.id: group for member, group in introduced}

    def build(member: Member) -> Message | None:
        if run.deliver_at(member) > run.event.starts_at:
            return None  # their quiet hours last past the start: a late nudge helps nobody
        return (
            MessageBuilder()
            .line(f"{run.event.name} starts in two hours. Look out for ", *texts.names(others[member.id]), "!")
            .build()
        )

    return f"queued {await run.to_members([m for m, _ in introduced], build)}"


async def followup(run: StepRun) -> str:
    """The day after: everyone who did not say they couldn't come is asked whether they made it (the funnel's
    last stage), then each introduced member whether they met their match."""
    expected = [
        *await audience.members_of(run.session, run.event, "rsvp-yes"),
        *await audience.members_of(run.session, run.event, "rsvp-unknown"),
    ]

    def build(member: Member) -> Message:
        value = str(run.event.id)
        return (
            MessageBuilder()
            .line("Did you make it to ", bold(run.event.name), "?")
            .buttons(
                Button("I was there", "attended", f"{value}.yes"), Button("Couldn't make it", "attended", f"{value}.no")
            )
            .build()
        )

    attendance = await run.to_members(expected, build)
    report = await send_followups(run.session, run.event, run.now, run.deliver_at)
    return f"asked {attendance} whether they came, {report.asked} whether they met; paused {report.paused}"


async def keep_going(run: StepRun) -> str:
    introduced = await _latest_intros(run, (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW))
    others = {member.id: group for member, group in introduced}

    def build(member: Member) -> Message:
        builder = MessageBuilder().line(
            f"It's been a week since {run.event.name}. Keep the conversation going with ",
            *texts.names(others[member.id]),
            "?",
        )
        builder.line("A quick message now turns a meeting into a connection.")
        return builder.build()

    return f"queued {await run.to_members([m for m, _ in introduced], build)}"


async def scheduled_broadcast(run: StepRun) -> str:
    payload = run.step.payload
    queued = await queue_broadcast(run.session, run.event, int(payload["broadcast_id"]), run.now)
    return f"queued {queued}"


async def round_notice(run: StepRun) -> str:
    members = await audience.members_of(run.session, run.event, "all")

    def build(member: Member) -> Message:
        builder = MessageBuilder().line("Tomorrow I'll introduce you to someone new from ", bold(run.event.name), ".")
        builder.line("Not a good week? Send /pause 1 to skip this round.")
        return builder.build()

    return f"queued {await run.to_members(members, build)}"


async def community_round(run: StepRun) -> str:
    note = await intros(run, repeatable=True)
    schedule_next_round(run.session, run.event, run.step, run.now)
    return note


def schedule_next_round(session: AsyncSession, event: Event, step: CampaignStep, now: datetime) -> None:
    """A community's next round (and its notice), whatever became of this one: a missed round never ends the
    series."""
    recurrence = event.recurrence or {}
    if not recurrence:
        return
    after = max(step.due_at, now)
    if recurrence.get("every") == "fortnightly":
        after += timedelta(days=7)
    add_community_round(session, event, next_occurrence(recurrence, event.time_zone, after), now)


HANDLERS: dict[str, Callable[[StepRun], Awaitable[str]]] = {
    "welcome": welcome,
    "interest_prompt": interest_prompt,
    "intros": intros,
    "say_hi": say_hi,
    "reminder": reminder,
    "lookout": lookout,
    "followup": followup,
    "keep_going": keep_going,
    "broadcast": scheduled_broadcast,
    "round_notice": round_notice,
    "community_round": community_round,
}
