"""After the meeting window: "did you meet?", and pausing members who stopped answering."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaign.timing import outside_quiet_hours
from bot.intros import texts
from storage import intros as intro_queries
from storage.models import Event, Intro, IntroState, Member, MemberStatus, Participant, Round
from storage.outbox import NewMessage, enqueue

SILENT_ROUNDS = 3
ANSWERABLE = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)


@dataclass(frozen=True, slots=True)
class FollowupReport:
    asked: int
    paused: int
    queued: int


@dataclass(frozen=True, slots=True)
class _Due:
    """An introduced member to ask "did you meet?" about the others of their group (or to pause: ``silent``)."""

    intro: Intro
    member: Member
    others: list[Member]
    silent: bool


async def waiting(session: AsyncSession, event: Event, now: datetime) -> int:
    """How many members a follow-up would ask now; nothing is written."""
    _, due = await _answerable(session, event, now)
    return sum(1 for one in due if not one.silent)


async def send_followups(
    session: AsyncSession, event: Event, now: datetime, deliver_at: Callable[[Member], datetime] | None = None
) -> FollowupReport:
    """Ask every introduced member of the event who hasn't been asked yet; idempotent per intro."""
    unasked, due = await _answerable(session, event, now)
    for intro in unasked:
        intro.followup_sent_at = now
    messages, asked, paused = [], 0, 0
    for one in due:
        member = one.member
        if one.silent:
            member.status, member.paused_until = MemberStatus.PAUSED, None
            messages.append(
                _to(
                    member,
                    f"silence-pause:{one.intro.id}",
                    texts.paused_for_silence().to_dict(),
                    event,
                    now,
                    deliver_at,
                )
            )
            paused += 1
            continue
        payload = texts.followup(event, one.others, one.intro.id).to_dict()
        messages.append(_to(member, f"followup:{one.intro.id}", payload, event, now, deliver_at))
        asked += 1
    return FollowupReport(asked, paused, await enqueue(session, messages, now))


async def _answerable(session: AsyncSession, event: Event, now: datetime) -> tuple[list[Intro], list[_Due]]:
    """The event's intros not followed up yet, and of those the members to ask (or pause)."""
    rows = (
        await session.execute(
            select(Intro, Member)
            .join(Round, Round.id == Intro.round_id)
            .join(Member, Member.id == Intro.member_id)
            .where(Round.event_id == event.id, Intro.state.in_(ANSWERABLE), Intro.followup_sent_at.is_(None))
            .order_by(Intro.id)
        )
    ).all()
    groups: dict[int, list[Member]] = defaultdict(list)
    for group_id, member in (
        await session.execute(
            select(Intro.group_id, Member)
            .join(Member, Member.id == Intro.member_id)
            .where(Intro.group_id.in_([intro.group_id for intro, _ in rows]))
        )
    ).all():
        if group_id is not None:
            groups[group_id].append(member)
    silent = await intro_queries.silent_members(session, event.id, ANSWERABLE, now, SILENT_ROUNDS)
    coming = set(
        (
            await session.scalars(
                select(Participant.member_id).where(
                    Participant.event_id == event.id,
                    Participant.left_at.is_(None),
                    Participant.rsvp.is_distinct_from("no"),
                )
            )
        ).all()
    )
    due = []
    for intro, member in rows:
        assert intro.group_id is not None
        others = [other for other in groups[intro.group_id] if other.id != member.id and other.id in coming]
        if member.id not in coming or member.status != MemberStatus.ACTIVE or not others:
            continue  # left, can't come, paused, or nobody left to ask about: no "did you meet?"
        due.append(_Due(intro, member, others, member.id in silent))
    return [intro for intro, _ in rows], due


def _to(
    member: Member,
    key: str,
    payload: dict[str, object],
    event: Event,
    now: datetime,
    deliver_at: Callable[[Member], datetime] | None,
) -> NewMessage:
    """The campaign's own hour for the member, or (an organiser's /followup) as soon as it is daytime for them."""
    when = deliver_at(member) if deliver_at else outside_quiet_hours(now, member.time_zone or event.time_zone)
    return NewMessage(
        key, member.platform, member.platform_user_id, dict(payload), member.id, event.id, not_before=when
    )
