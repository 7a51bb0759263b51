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
from storage.models import Event, IntroState, Member, MemberStatus
from storage.outbox import NewMessage, enqueue
from storage.session import AsyncSession

SILENT_ROUNDS = 3
ANSWERABLE = (IntroState.INTRODUCED, IntroState.SAID_HI, IntroState.NOT_NOW)


@dataclass(frozen=True, slots=True)
class FollowupReport:
    asked: int
    paused: int
    queued: int


async def send_followups(
    session: AsyncSession, event: Event, now: datetime, deliver_at: Callable[[Member], datetime] | None = None
) -> FollowupReport:
    """Ask every introduced member of the event who hasn't been asked yet; idempotent per intro."""
    rows = await intro_queries.not_followed_up(session, event.id, ANSWERABLE)
    groups = await meeting_queries.members_by_group(session, {i.group_id for i, _ in rows if i.group_id is not None})
    silent = await intro_queries.silent_members(session, event.id, ANSWERABLE, now, SILENT_ROUNDS)
    coming = await event_queries.coming(session, event.id)
    messages, asked, paused = [], 0, 0
    for intro, member in rows:
        intro.followup_sent_at = now
        assert intro.group_id is not None
        others = [other for other in groups[intro.group_id] if other.id != member.id and other.id in coming]
        if member.id not in coming or member.status != MemberStatus.ACTIVE or not others:
            continue  # left, can't come, paused, or nobody left to ask about: no "did you meet?"
        if member.id in silent:
            member.status, member.paused_until = MemberStatus.PAUSED, None
            messages.append(
                _to(member, f"silence-pause:{intro.id}", texts.paused_for_silence().to_dict(), event, now, deliver_at)
            )
            paused += 1
            continue
        payload = texts.followup(event, others, intro.id).to_dict()
        messages.append(_to(member, f"followup:{intro.id}", payload, event, now, deliver_at))
        asked += 1
    return FollowupReport(asked, paused, await enqueue(session, messages, now))


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
