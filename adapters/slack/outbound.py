"""The Web API calls behind the port: open DMs (cached), post, update, look people up; errors as outcomes.

Every failure leaves here as a :class:`bot.errors.DeliveryError`, so the outbox decides what happens next:
429 is :class:`RateLimited` (the client's retry handlers are off, so the outbox sees it), a person who is
gone is :class:`RecipientUnreachable`, a channel the bot is not in is :class:`ChannelUnavailable`, timeouts
and 5xx are :class:`TransientDeliveryError`, anything else is :class:`PermanentDeliveryError`.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import render
from bot.errors import (
    ChannelUnavailable,
    DeliveryError,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Address, Attachment, Message
from bot.port import Delivered

PLATFORM = "slack"
GONE = frozenset(
    {"user_not_found", "users_not_found", "account_inactive", "user_disabled", "cannot_dm_bot", "is_archived"}
)
GONE_IF_DIRECT = frozenset({"channel_not_found"})
NO_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
PROFILE_TTL = 600.0  # seconds a users.info answer is reused
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class Lru(Generic[K, V]):
    """A small bounded mapping: the least recently used entry goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def add(self, key: K, value: V) -> bool:
        """Store ``key`` if new; False when it was already there."""
        if key in self._items:
            return False
        self.put(key, value)
        return True


def delivery_error(error: Exception, *, direct: bool) -> DeliveryError:
    """The core's outcome for a failed Web API call; ``direct`` is true for DMs and group DMs."""
    if isinstance(error, DeliveryError):
        return error
    if not isinstance(error, SlackApiError):
        return TransientDeliveryError(f"{type(error).__name__}: {error}")
    status = getattr(error.response, "status_code", 200)
    code = str(error.response.get("error") or "") if hasattr(error.response, "get") else ""
    if status == 429 or code == "ratelimited":
        headers = getattr(error.response, "headers", None) or {}
        return RateLimited(_retry_after(headers))
    if status >= 500 or code in TRANSIENT:
        return TransientDeliveryError(f"slack {status} {code}".strip())
    if direct and (code in GONE or code in GONE_IF_DIRECT):
        return RecipientUnreachable(code)
    if not direct and code in NO_CHANNEL:
        return ChannelUnavailable(code)
    if code in GONE:
        return RecipientUnreachable(code)
    return PermanentDeliveryError(code or f"slack status {status}")


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key)
        if value is not None:
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0


class Outbound:
    """Sends and edits messages, with a per-user cache of DM channels (and of group DMs, per set of users)."""

    def __init__(self, client: AsyncWebClient, *, cache_size: int = 10_000) -> None:
        self.client = client
        self._dms: Lru[tuple[str, ...], str] = Lru(cache_size)
        self._profiles: Lru[str, tuple[float, dict[str, Any]]] = Lru(cache_size)

    async def send(self, address: Address, message: Message) -> Delivered:
        if address.kind == "channel":
            channel, direct = address.user_id, False
        else:
            users = [u.strip() for u in address.user_id.split(",") if u.strip()]
            channel, direct = await self.open(users), True
        if message.attachments and not message.buttons:  # the text rides as the first file's comment
            first, *rest = message.attachments
            ts = await self.upload(channel, first, render(message).text, direct=direct)
        else:
            ts, rest = await self.post(channel, message, direct=direct), list(message.attachments)
        for file in rest:
            await self.upload(channel, file, None, direct=direct)
        return Delivered(PLATFORM, channel, ts)

    async def upload(self, channel: str, file: Attachment, comment: str | None, *, direct: bool) -> str:
        """files_upload_v2: files.getUploadURLExternal, the upload itself, then files.completeUploadExternal,
        which shares the file in ``channel``. Returns the file's id."""
        response = await self.call(
            lambda: self.client.files_upload_v2(
                channel=channel,
                content=file.content,
                filename=file.filename,
                title=file.filename,
                initial_comment=comment,
            ),
            direct=direct,
        )
        return str((response.get("file") or {}).get("id") or "")

    async def edit(self, delivered: Delivered, message: Message) -> None:
        """Edit a sent message. ``chat_id`` may be the address it was sent to (a user id, or several), as the
        outbox keeps only the message id: chat.update wants the conversation, so resolve it first."""
        chat = delivered.chat_id
        if "," in chat or _USER_ID.match(chat):
            chat = await self.open([u.strip() for u in chat.split(",") if u.strip()])
        await self.update(chat, delivered.message_id, message)

    async def open(self, users: Sequence[str]) -> str:
        """The DM channel with one user, or the group DM with several (conversations.open, cached)."""
        key = tuple(sorted(set(users)))
        if not key:
            raise PermanentDeliveryError("no recipients")
        cached = self._dms.get(key)
        if cached is not None:
            return cached
        response = await self.call(lambda: self.client.conversations_open(users=",".join(key)), direct=True)
        channel = str(response["channel"]["id"])
        self._dms.put(key, channel)
        return channel

    def remember_dm(self, user_id: str, channel_id: str | None) -> None:
        """Events tell us a user's DM channel for free; saves a conversations.open later."""
        if channel_id and channel_id.startswith("D"):
            self._dms.put((user_id,), channel_id)

    async def post(self, channel: str, message: Message, *, direct: bool = True) -> str:
        rendered = render(message)
        response = await self.call(
            lambda: self.client.chat_postMessage(channel=channel, text=rendered.text, blocks=rendered.blocks or None),
            direct=direct,
        )
        return str(response["ts"])

    async def update(self, channel: str, ts: str, message: Message) -> None:
        rendered = render(message)
        await self.call(
            lambda: self.client.chat_update(channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks or []),
            direct=channel.startswith("D"),
        )

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self.call(lambda: self.client.views_publish(user_id=user_id, view=view), direct=True)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self.call(lambda: self.client.views_open(trigger_id=trigger_id, view=view), direct=True)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """users.info's ``user`` (cached for a few minutes); None when it cannot be read."""
        cached = self._profiles.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < PROFILE_TTL:
            return cached[1]
        try:
            response = await self.call(lambda: self.client.users_info(user=user_id, include_locale=True), direct=True)
        except DeliveryError:
            return None
        user = dict(response.get("user") or {})
        self._profiles.put(user_id, (time.monotonic(), user))
        return user

    async def lookup_email(self, email: str) -> dict[str, Any] | None:
        """The active user with this email, or None when nobody has it."""
        try:
            response = await self.call(lambda: self.client.users_lookupByEmail(email=email), direct=True)
        except RecipientUnreachable:
            return None
        user = dict(response.get("user") or {})
        return None if user.get("deleted") or user.get("is_bot") else user

    @staticmethod
    async def call(request: Callable[[], Awaitable[T]], *, direct: bool) -> T:
        try:
            return await request()
        except (SlackApiError, SlackRequestError, TimeoutError, aiohttp.ClientError) as error:
            raise delivery_error(error, direct=direct) from error
