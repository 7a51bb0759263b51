"""When a message that a person caused (a proposal, a booking, a cancellation) reaches the others.

Like the campaign's messages, it waits for the recipient's morning when it would arrive in their quiet hours
(21:00–08:00 in their zone, the event's when they have none), unless waiting would make it useless: news
about a meeting that starts before their morning goes at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.campaign.timing import group_delivery, outside_quiet_hours
from storage.models import Event, Member


def zone(member: Member, event: Event) -> str:
    return member.time_zone or event.time_zone


def for_member(member: Member, event: Event, now: datetime, before: datetime | None) -> datetime:
    """``now``, or the member's next 08:00 when now is in their quiet hours and that is still before ``before``
    (the time the message is about, if any)."""
    due = outside_quiet_hours(now, zone(member, event))
    return now if before is not None and due >= before else due


def for_group(members: Sequence[Member], event: Event, now: datetime, before: datetime | None) -> datetime | None:
    """The first moment everyone of a group conversation is awake (``now`` when that is too late for
    ``before``); None when their waking hours never overlap, so each should get their own message."""
    due = group_delivery(now, [zone(m, event) for m in members])
    if due is None:
        return None
    return now if before is not None and due >= before else due
