"""Queries of meeting proposals: a member's draft, the others' acceptances, and closing what is still open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Intro, IntroGroup, MeetingAcceptance, MeetingProposal, ProposalState, Round

OPEN = (ProposalState.DRAFT, ProposalState.SENT)


def _close(now: datetime) -> Update:
    return update(MeetingProposal).values(state=ProposalState.CLOSED, updated_at=now)


async def draft_of(session: AsyncSession, group_id: int, proposer_id: int) -> MeetingProposal | None:
    """The member's draft proposal for this group, if they have one."""
    query = select(MeetingProposal).where(
        MeetingProposal.group_id == group_id,
        MeetingProposal.proposer_id == proposer_id,
        MeetingProposal.state == ProposalState.DRAFT,
    )
    return await session.scalar(query)


async def acceptances(session: AsyncSession, proposal_id: int) -> dict[int, set[int]]:
    """Who said yes to each of the proposal's times: slot id -> member ids."""
    query = select(MeetingAcceptance.slot_id, MeetingAcceptance.member_id).where(
        MeetingAcceptance.proposal_id == proposal_id
    )
    said_yes: dict[int, set[int]] = {}
    for slot_id, member_id in (await session.execute(query)).all():
        said_yes.setdefault(slot_id, set()).add(member_id)
    return said_yes


async def open_of_event(session: AsyncSession, event_id: int) -> Sequence[MeetingProposal]:
    """The open (draft or sent) proposals of the event's groups."""
    groups = select(IntroGroup.id).join(Round, Round.id == IntroGroup.round_id).where(Round.event_id == event_id)
    query = select(MeetingProposal).where(MeetingProposal.group_id.in_(groups), MeetingProposal.state.in_(OPEN))
    return (await session.scalars(query)).all()


async def close_open(session: AsyncSession, group_id: int, now: datetime) -> None:
    """Close the group's open proposals (it got its meeting, or can no longer meet)."""
    await session.execute(_close(now).where(MeetingProposal.group_id == group_id, MeetingProposal.state.in_(OPEN)))


async def close_other_sent(session: AsyncSession, group_id: int, proposal_id: int, now: datetime) -> None:
    """Close the group's sent proposals other than ``proposal_id`` (it replaces them)."""
    await session.execute(
        _close(now).where(
            MeetingProposal.group_id == group_id,
            MeetingProposal.state == ProposalState.SENT,
            MeetingProposal.id != proposal_id,
        )
    )


async def close_open_of_member(session: AsyncSession, member_id: int, event_id: int | None, now: datetime) -> None:
    """Close the open proposals of every group the member is in (of the event, or everywhere when None)."""
    groups = select(Intro.group_id).where(Intro.member_id == member_id)
    query = _close(now).where(MeetingProposal.group_id.in_(groups), MeetingProposal.state.in_(OPEN))
    if event_id is not None:
        of_event = select(IntroGroup.id).join(Round, Round.id == IntroGroup.round_id).where(Round.event_id == event_id)
        query = query.where(MeetingProposal.group_id.in_(of_event))
    await session.execute(query)
