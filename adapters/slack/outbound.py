"""The Web API calls behind the port: open DMs (cached), post, update, look people up; errors as outcomes.

Every failure leaves here as a :class:`bot.errors.DeliveryError`, so the outbox decides what happens next:
429 is :class:`RateLimited` (the client's retry handlers are off, so the outbox sees it), a person who is
gone is :class:`RecipientUnreachable`, a channel the bot is not in is :class:`ChannelUnavailable`, timeouts
and 5xx are :class:`TransientDeliveryError`, anything else is :class:`PermanentDeliveryError`.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.pacing import Call, Pacer
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

log = logging.getLogger(__name__)

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
    """Sends and edits messages, with a per-user cache of DM channels (and of group DMs, per set of users).

    With a :class:`Pacer`, every call waits for its method's turn in the budget all replicas share. ``send``
    reserves the turn of all its calls at once (open, post, uploads); the outbox reserves it first with
    :meth:`reserve` (before the row is marked as sending) and then sends with ``reserved=True``. ``max_wait``:
    a turn further off than that raises :class:`RateLimited` without calling Slack (a reply then waits in the
    outbox instead of holding up the listener)."""

    def __init__(self, client: AsyncWebClient, *, cache_size: int = 10_000, pacer: Pacer | None = None) -> None:
        self.client = client
        self.pacer = pacer
        self._dms: Lru[tuple[str, ...], str] = Lru(cache_size)
        self._profiles: Lru[str, tuple[float, dict[str, Any]]] = Lru(cache_size)

    def calls_for(self, address: Address, message: Message) -> list[Call]:
        """The Web API calls sending ``message`` to ``address`` makes, with the conversation each posts to."""
        calls: list[Call] = []
        if address.kind == "channel":
            conversation = address.user_id
        else:
            key = _users_key(address.user_id)
            conversation = ",".join(key)
            if self._dms.get(key) is None:
                calls.append(("conversations.open", None))
        calls.append(("chat.postMessage", conversation))
        for _ in message.attachments:
            calls += [("files.getUploadURLExternal", None), ("files.completeUploadExternal", None)]
        return calls

    async def reserve(self, address: Address, message: Message, *, max_wait: float | None = None) -> float:
        """Reserve the turn of one send's calls; seconds until it may go (0 without a pacer)."""
        if self.pacer is None:
            return 0.0
        return await self.pacer.reserve(self.calls_for(address, message), max_wait=max_wait)

    async def send(
        self, address: Address, message: Message, *, reserved: bool = False, max_wait: float | None = None
    ) -> Delivered:
        if not reserved:
            wait = await self.reserve(address, message, max_wait=max_wait)
            if wait > 0 and self.pacer is not None:
                await self.pacer.budget.sleep(wait)
        if address.kind == "channel":
            channel, direct = address.user_id, False
        else:
            channel, direct = await self.open(_users_key(address.user_id), paced=False), True
        ts = await self.post(channel, message, direct=direct)
        for attachment in message.attachments:
            await self.upload_best_effort(channel, attachment, direct=direct)
        return Delivered(PLATFORM, channel, ts)

    async def upload_best_effort(self, channel: str, attachment: Attachment, *, direct: bool) -> None:
        """A file after the text (files_upload_v2: get an upload URL, send the bytes, share it in the channel).
        The text has gone by now, so a failed upload is logged rather than raised: raising would make the
        outbox send the text a second time."""
        try:
            await self.upload(channel, attachment, direct=direct)
        except DeliveryError as error:
            log.warning("could not upload a file", extra={"file": attachment.filename, "error": str(error)})

    async def upload(self, channel: str, attachment: Attachment, *, direct: bool = True) -> None:
        """Paced by the send it belongs to (its two calls are in :meth:`calls_for`)."""
        await self.call(
            lambda: self.client.files_upload_v2(
                channel=channel,
                file=attachment.data,
                filename=attachment.filename,
                title=attachment.caption or attachment.filename,
                alt_txt=attachment.caption or None,
            ),
            direct=direct,
        )

    async def edit(self, delivered: Delivered, message: Message) -> None:
        """Edit a sent message. ``chat_id`` may be the address it was sent to (a user id, or several), as the
        outbox keeps only the message id: chat.update wants the conversation, so resolve it first."""
        chat = delivered.chat_id
        if "," in chat or _USER_ID.match(chat):
            chat = await self.open(_users_key(chat))
        await self.update(chat, delivered.message_id, message)

    async def open(self, users: Sequence[str], *, paced: bool = True) -> str:
        """The DM channel with one user, or the group DM with several (conversations.open, cached)."""
        key = tuple(sorted(set(users)))
        if not key:
            raise PermanentDeliveryError("no recipients")
        cached = self._dms.get(key)
        if cached is not None:
            return cached
        response = await self.call(
            lambda: self.client.conversations_open(users=",".join(key)),
            direct=True,
            method="conversations.open" if paced else None,
        )
        channel = str(response["channel"]["id"])
        self._dms.put(key, channel)
        return channel

    def remember_dm(self, user_id: str, channel_id: str | None) -> None:
        """Events tell us a user's DM channel for free; saves a conversations.open later."""
        if channel_id and channel_id.startswith("D"):
            self._dms.put((user_id,), channel_id)

    async def post(self, channel: str, message: Message, *, direct: bool = True) -> str:
        """Paced by the send it belongs to."""
        rendered = render(message)
        response = await self.call(
            lambda: self.client.chat_postMessage(channel=channel, text=rendered.text, blocks=rendered.blocks or None),
            direct=direct,
        )
        return str(response["ts"])

    async def update(self, channel: str, ts: str, message: Message, *, max_wait: float | None = None) -> None:
        rendered = render(message)
        await self.call(
            lambda: self.client.chat_update(channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks or []),
            direct=channel.startswith("D"),
            method="chat.update",
            max_wait=max_wait,
        )

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self.call(
            lambda: self.client.views_publish(user_id=user_id, view=view), direct=True, method="views.publish"
        )

    async def open_view(self, trigger_id: str, view: dict[str, Any], *, max_wait: float | None = None) -> None:
        await self.call(
            lambda: self.client.views_open(trigger_id=trigger_id, view=view),
            direct=True,
            method="views.open",
            max_wait=max_wait,
        )

    async def user(self, user_id: str, *, max_wait: float | None = None) -> dict[str, Any] | None:
        """users.info's ``user`` (cached for a few minutes); None when it cannot be read, or when its turn in
        the budget is further off than ``max_wait``."""
        cached = self._profiles.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < PROFILE_TTL:
            return cached[1]
        try:
            response = await self.call(
                lambda: self.client.users_info(user=user_id, include_locale=True),
                direct=True,
                method="users.info",
                max_wait=max_wait,
            )
        except DeliveryError:
            return None
        user = dict(response.get("user") or {})
        self._profiles.put(user_id, (time.monotonic(), user))
        return user

    async def lookup_email(self, email: str) -> dict[str, Any] | None:
        """The active user with this email, or None when nobody has it."""
        try:
            response = await self.call(
                lambda: self.client.users_lookupByEmail(email=email), direct=True, method="users.lookupByEmail"
            )
        except RecipientUnreachable:
            return None
        user = dict(response.get("user") or {})
        return None if user.get("deleted") or user.get("is_bot") else user

    async def call(
        self,
        request: Callable[[], Awaitable[T]],
        *,
        direct: bool,
        method: str | None = None,
        max_wait: float | None = None,
    ) -> T:
        """One Web API call, after its turn under ``method``'s limit (``None``: paced already, or not at all)."""
        if method is not None and self.pacer is not None:
            await self.pacer.wait([(method, None)], max_wait=max_wait)
        try:
            return await request()
        except (SlackApiError, SlackRequestError, TimeoutError, aiohttp.ClientError) as error:
            raise delivery_error(error, direct=direct) from error


def _users_key(address: str) -> tuple[str, ...]:
    """A DM's or group DM's users, as one sorted key (the cache's, and the conversation's budget key)."""
    return tuple(sorted({u.strip() for u in address.split(",") if u.strip()}))
