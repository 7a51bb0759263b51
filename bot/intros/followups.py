"""After the meeting window: "did you meet?", and pausing members who stopped answering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.campaign.timing import outside_quiet_hours
from bot.intros import texts
from storage import events as event_queries
from storage import intros as intro_queries
from storage import meetings as meeting_queries
from storage.models import Event, Intro, IntroState, Member, MemberStatus
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession

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
    rows = await intro_queries.not_followed_up(session, event.id, ANSWERABLE)
    groups = await meeting_queries.members_by_group(session, {i.group_id for i, _ in rows if i.group_id is not None})
    silent = await intro_queries.silent_members(session, event.id, ANSWERABLE, now, SILENT_ROUNDS)
    coming = await event_queries.coming(session, event.id)
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
