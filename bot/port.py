"""The platform port: the small surface every adapter implements for the core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.messages import Address, Message


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where a sent message landed, so it can be edited later."""

    platform: str
    chat_id: str
    message_id: str


class Platform(Protocol):
    """An adapter's outbound side. Sending raises a :class:`bot.errors.DeliveryError` on failure.

    ``send`` delivers the message's text and buttons, then each of its ``attachments`` (a file) to the same
    conversation; the returned :class:`Delivered` is the text's message.
    """

    @property
    def name(self) -> str: ...

    @property
    def supports_group_dm(self) -> bool:
        """True when the platform can open one conversation with several members (Slack's group DM)."""
        ...

    async def send(self, address: Address, message: Message) -> Delivered: ...

    async def edit(self, delivered: Delivered, message: Message) -> None: ...


@runtime_checkable
class Paced(Protocol):
    """A platform that paces its own calls (Slack: each Web API method by its tier). The outbox asks for a
    send's turn before it marks the row as sending, waits for it, then sends: a replica that dies while waiting
    leaves a row that was never sent, not one that may have been."""

    async def turn(self, address: Address, message: Message) -> float:
        """Reserve the turn of one send to ``address``; seconds until it may go."""
        ...
