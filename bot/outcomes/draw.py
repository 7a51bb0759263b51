"""The holdout draw: who, at random, gets everything except introductions.

Each member's draw is an independent coin with probability ``percent`` / 100, flipped by hashing the event's
recorded seed with the member's id. So the draw needs no shared state (two people joining at the same moment
cannot disturb each other's draw), anyone holding the seed can re-check it, and a member drawn late (they
joined after the holdout was set) is drawn exactly as an early one. The result is stored at the first draw
and never changes; the hash only decides it. In a small event the held-out share varies around ``percent``
(20 % of 30 is 6 on average, and between 2 and 10 in nineteen events out of twenty).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from storage import holdouts
from storage.models import Holdout
from storage.session import AsyncSession

MIN_PERCENT, MAX_PERCENT = 5, 50
SEED_LIMIT = 2**31  # seeds fit a 32-bit integer column everywhere


def is_held_out(seed: int, member_id: int, percent: int) -> bool:
    """The coin for one member: a uniform number in [0, 1) from SHA-256, compared with the share."""
    digest = hashlib.sha256(f"icebreaker-holdout:{seed}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < percent * 2**64 // 100


async def start(session: AsyncSession, event_id: int, percent: int, seed: int, now: datetime) -> Holdout:
    """Set (or, before the first round, replace) the event's holdout and draw everyone already in it."""
    await holdouts.clear(session, event_id)
    holdout = Holdout(event_id=event_id, percent=percent, seed=seed, created_at=now)
    session.add(holdout)
    await session.flush()
    await draw_undrawn(session, holdout, now)
    return holdout


async def stop(session: AsyncSession, event_id: int) -> None:
    await holdouts.clear(session, event_id)


async def draw_undrawn(session: AsyncSession, holdout: Holdout, now: datetime) -> int:
    """Draw every member of the event who has no draw yet; those already drawn keep theirs."""
    members = await holdouts.undrawn(session, holdout.event_id)
    draws = [(member_id, is_held_out(holdout.seed, member_id, holdout.percent)) for member_id in members]
    await holdouts.add_draws(session, holdout.event_id, draws, now)
    return len(draws)


async def on_join(session: AsyncSession, event_id: int, now: datetime) -> None:
    """A late joiner is drawn as they join (called once their participant row exists)."""
    holdout = await holdouts.holdout_of(session, event_id)
    if holdout is not None:
        await session.flush()
        await draw_undrawn(session, holdout, now)


async def draw_latecomers(session: AsyncSession, event_id: int, now: datetime) -> None:
    """Anyone in an event with a holdout who was not drawn yet (who came in by a path other than /join) is drawn
    now, before a round reads its pool, so nobody slips into a round undrawn. A write: call it in the
    transaction that prepares the round."""
    holdout = await holdouts.holdout_of(session, event_id)
    if holdout is not None:
        await draw_undrawn(session, holdout, now)


async def held_out(session: AsyncSession, event_id: int) -> set[int]:
    """The held-out members, who are never put in the matcher's pool (a read)."""
    return await holdouts.held_out_members(session, event_id)


async def holdout_note(session: AsyncSession, event_id: int) -> str | None:
    """What every member is told, honestly, when the event has a holdout (the welcome texts carry it)."""
    holdout = await holdouts.holdout_of(session, event_id)
    if holdout is None:
        return None
    return (
        f"Introductions go to most attendees, not all: {holdout.percent} % of members, drawn at random, get "
        "everything else but no introductions, so the organisers can see whether introductions help."
    )
