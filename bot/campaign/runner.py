"""Fires due campaign steps, each exactly once, safely with several processes on one database.

A step is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), run and marked done in one transaction: a
crash mid-step commits nothing, and the next run does it again; its messages' unique outbox keys make
that harmless. A step that was missed while the process was down runs once if it is still useful, and is
otherwise recorded as skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.campaign.plan import DATED, EARLY_LEAD, PRE_EVENT, TITLES
from bot.campaign.steps import HANDLERS, StepRun, schedule_next_round
from bot.clock import Clock
from bot.context import Policy
from bot.errors import UserError
from bot.intros.candidates import wake_expired_pauses
from bot.messages import Message, MessageBuilder, bold
from bot.organiser_notes import tell_organisers
from storage import schedule
from storage.database import Database
from storage.models import CampaignStep, Event, StepStatus
from storage.session import AsyncSession

log = logging.getLogger(__name__)

LATE_GRACE = timedelta(days=2)  # how late an after-the-event step may still run


BY_HAND = {  # what an organiser can do instead of a failed step
    "intros": "Run /match now to make the introductions by hand.",
    "community_round": "Run /match now for this round; the next one is scheduled as usual.",
}


def failed_step_note(event: Event, step: CampaignStep) -> Message:
    """The organiser's notice that a step did not go out: which one, and what to do instead."""
    builder = MessageBuilder().line(
        "⚠️ ", bold(TITLES.get(step.kind, step.kind)), " for ", bold(event.name), " could not go out, so I skipped it."
    )
    builder.line(BY_HAND.get(step.kind, "Nothing of it was sent. You can send it yourself with /broadcast."))
    return builder.build()


class CampaignRunner:
    def __init__(self, database: Database, clock: Clock, policy: Policy) -> None:
        self.database = database
        self.clock = clock
        self.policy = policy

    async def run_due(self, limit: int = 100) -> list[str]:
        """Fire every due step (up to ``limit``); returns what each handled step did ("key: note")."""
        handled: list[str] = []
        async with self.database.transaction() as session:  # once per run, not per step
            await wake_expired_pauses(session, self.clock.now())
        while len(handled) < limit and (outcome := await self._run_one()) is not None:
            handled.append(outcome)
        return handled

    async def _run_step(self, session: AsyncSession, event: Event, step: CampaignStep, now: datetime) -> None:
        """Run the step's handler in a savepoint: a step that fails is recorded as failed (and skipped), so it
        cannot block the steps behind it."""
        try:
            async with session.begin_nested():
                step.note = (await HANDLERS[step.kind](StepRun(session, event, step, now, self.policy)))[:200]
            step.status = StepStatus.DONE
        except Exception as error:
            reason = error.message if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
            log.exception("campaign step failed", extra={"event_id": event.id, "step": step.key})
            step.status, step.note = StepStatus.SKIPPED, f"failed: {reason}"[:200]
            await tell_organisers(session, event, f"step-failed:{step.id}", failed_step_note(event, step), now)
            if step.kind == "community_round":
                schedule_next_round(session, event, step, now)

    async def _run_one(self) -> str | None:
        now = self.clock.now()
        async with self.database.transaction() as session:
            step = await schedule.claim_next_due_step(session, now, DATED, EARLY_LEAD)
            if step is None:
                return None
            event = await session.get(Event, step.event_id)
            assert event is not None
            useful_until = event.starts_at if step.kind in PRE_EVENT else step.due_at + LATE_GRACE
            if now >= useful_until:
                step.status, step.note = StepStatus.SKIPPED, "missed while the bot was down; no longer useful"
                if step.kind == "community_round":
                    schedule_next_round(session, event, step, now)
            else:
                await self._run_step(session, event, step, now)
            step.finished_at = now
            log.info(
                "campaign step",
                extra={"event_id": event.id, "step": step.key, "status": step.status, "note": step.note},
            )
            return f"{step.key}: {step.note}"
