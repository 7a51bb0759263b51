"""Who a broadcast or a step reaches: all, answered, did not answer, by RSVP, or by interest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UserError
from storage import audience as audience_queries
from storage import events as event_queries
from storage import interests as interest_queries
from storage.audience import Audience
from storage.models import Event, Member
from storage.session import AsyncSession

AUDIENCES = ("all", "answered", "unanswered", "rsvp-yes", "rsvp-no", "rsvp-unknown")
AUDIENCE_HELP = "all, answered, unanswered, rsvp-yes, rsvp-no, rsvp-unknown or interest:NAME"


def parse_audience(value: str) -> str:
    audience = value.strip().lower()
    if audience.startswith("interest:"):
        name = " ".join(value.strip()[len("interest:") :].strip().strip('"').split())
        if name:
            return f"interest:{name}"
    if audience in AUDIENCES:
        return audience
    raise UserError(f"“{value[:30]}” is not an audience I know. Use {AUDIENCE_HELP}.")


async def members_of(session: AsyncSession, event: Event, audience: str) -> Sequence[Member]:
    """Active members of the event (not left, paused or unreachable) in the audience, by id."""
    wanted = Audience()
    if audience == "answered":
        wanted = Audience(answered=True)
    elif audience == "unanswered":
        wanted = Audience(answered=False)
    elif audience.startswith("rsvp-"):
        wanted = Audience(rsvp=audience.removeprefix("rsvp-"))
    elif audience.startswith("interest:"):
        label = audience.removeprefix("interest:").strip()
        option = await interest_queries.option_named(session, event.id, label)
        if option is None:
            labels = [o.label for o in await event_queries.options(session, event.id)]
            known = f"Its poll's options: {', '.join(labels)}." if labels else "It has no interest poll yet."
            raise UserError(f"{event.name} has no interest called “{label[:40]}”. {known} Nothing was sent.")
        wanted = Audience(option_id=option)
    return await audience_queries.active_members(session, event.id, wanted)
