"""One error hierarchy. User-facing errors carry a safe, friendly message; delivery errors are outcomes."""

from __future__ import annotations


class IcebreakerError(Exception):
    """Base of every error the core raises on purpose."""


class UserError(IcebreakerError):
    """Something the person asked for cannot be done; ``message`` is safe to show them as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeliveryError(IcebreakerError):
    """A platform could not deliver a message."""


class RecipientUnreachable(DeliveryError):
    """The member blocked the bot, left the workspace, or cannot be messaged: do not retry."""


class RateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """A timeout or a server error: retry with backoff."""


class DeliveryUncertain(DeliveryError):
    """The request may have reached the platform (a read timeout, a connection dropped after sending): sending it
    again could deliver it twice, so the row becomes 'uncertain' instead of being retried."""


class PermanentDeliveryError(DeliveryError):
    """The platform refused the message for good (bad request)."""


class ChatMoved(DeliveryError):
    """A group became another chat (Telegram's supergroup migration): send to ``new_chat_id`` instead."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class ChannelUnavailable(DeliveryError):
    """The bot is not in the linked channel (Slack's not_in_channel): an organiser must invite it."""


class ClaimLost(IcebreakerError):
    """A worker's lease on a row ran out and another worker took the row: this worker's work must not commit."""
