"""Answers to an update that survive the replica handling it.

An answer is written to the outbox in the update's own transaction, as a row already claimed by the replica
that handles the update, which then sends it at once, as before. Sending goes through the outbox's states: the
row is marked 'sending' before the platform is called and its outcome after, so if the replica dies before
sending, the row's lease runs out and any replica's delivery sends it; if it dies mid-send the row becomes
'uncertain' (counted, never re-sent). A refusal for flood control leaves the row queued for the delivery loop.

Only new messages are kept this way: an edit of the pressed button's message is a change in place, and work
left for after the commit (a round's report) answers on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.delivery_outcomes import Result, apply_consequences, classify
from bot.messages import Action, Reply
from storage import outbox
from storage.database import Database
from storage.models import OutboxStatus
from storage.outbox import Claimed, NewMessage
from storage.session import AsyncSession

LEASE = timedelta(seconds=6)  # as the outbox's: a dead replica's answers are sent by another within seconds


class HeldAnswers:
    """For one update: ``keep`` runs inside the core's transaction; then, for each answer it kept, ``start``
    before the platform call and ``sent`` or ``failed`` after it."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        worker_id: str,
        *,
        platform: str,
        chat: str,
        address_kind: str,
        update_id: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.worker_id = worker_id
        self.platform = platform
        self.chat = chat
        self.address_kind = address_kind
        self.update_id = update_id
        self._held: dict[int, tuple[Action, Claimed]] = {}  # by the answer's place among the actions

    async def keep(self, session: AsyncSession, actions: Sequence[Action]) -> None:
        messages = {
            number: NewMessage(
                f"reply:{self.platform}:{self.update_id}:{number}",
                self.platform,
                self.chat,
                action.message.to_dict(),
                address_kind=self.address_kind,
            )
            for number, action in enumerate(actions)
            if isinstance(action, Reply)
        }
        ids = await outbox.hold(session, list(messages.values()), self.clock.now(), self.worker_id, LEASE)
        for number, message in messages.items():
            if message.key in ids:
                row = Claimed(ids[message.key], self.platform, self.chat, self.address_kind, message.payload,
                              None, None, 1, None)  # fmt: skip
                self._held[number] = (actions[number], row)

    def holds(self, number: int, action: Action) -> bool:
        """Whether this answer was kept (the very action: a refusal's answer after a rollback is not)."""
        held = self._held.get(number)
        return held is not None and held[0] is action

    async def start(self, number: int) -> bool:
        """Mark the answer as handed to the platform; False if another replica took it over meanwhile."""
        row = self._held[number][1]
        async with self.database.transaction() as session:
            return await outbox.start_sending(session, row.id, self.worker_id, self.clock.now() + LEASE)

    async def sent(self, number: int, message_id: str) -> None:
        values = {"status": OutboxStatus.SENT, "sent_at": self.clock.now(), "platform_message_id": message_id}
        await self._settle(number, Result("sent", values))

    async def failed(self, number: int, error: Exception) -> None:
        row = self._held[number][1]
        await self._settle(number, classify(row, error, self.clock.now()))

    async def _settle(self, number: int, result: Result) -> None:
        row = self._held[number][1]
        async with self.database.transaction() as session:
            if await outbox.settle(session, row.id, self.worker_id, result.values):
                await apply_consequences(session, row, result, self.clock.now())
