"""The Telegram adapter: python-telegram-bot in, the core in the middle, the port out.

Thin on purpose: updates are translated and handed to ``Core.handle``; the actions it returns are rendered
and sent. Nothing is acknowledged before it is recorded: a webhook POST is answered 200 only once its update is
committed to the inbox, and long polling confirms an offset (the next ``getUpdates``) only after the updates it
fetched are committed. Recorded updates are handled by whichever replica's inbox worker claims them
(``bot.inbound``), through ``Application.process_update``. Errors from the Bot API become the core's delivery
outcomes. No rate limiter or retry layer is installed, so flood control and failures reach the outbox, which
owns retrying.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import warnings
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from telegram import Bot, BotCommand, InputFile, LinkPreviewOptions, Update
from telegram import Message as TelegramMessage
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from adapters.telegram.render import Rendered, deep_link, qr_png, render, split
from adapters.telegram.translate import topic_of, translate
from bot.budget import SharedBudget
from bot.core import Core
from bot.errors import (
    ChatMoved,
    ClaimLost,
    DeliveryError,
    DeliveryUncertain,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.inbound import Completion, Inbound
from bot.messages import Address, Attachment, EditOrigin, Message
from bot.port import Delivered
from storage import outbox
from storage.inbox import ClaimedUpdate, NewUpdate
from storage.outbox import NewMessage

log = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
POLL_RETRY_SECONDS = 1.0
MAX_WEBHOOK_BODY = 1_000_000
UNREACHABLE_HINTS = ("chat not found", "user not found", "peer_id_invalid")
CAPTION_LIMIT = 1024  # characters of a photo's or document's caption
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # links in intros and invitations stay lines, not cards

Context = ContextTypes.DEFAULT_TYPE

# The inbox row being handled, from the inbox worker through PTB's process_update to our handler (PTB awaits a
# blocking handler in the caller's task, so the context carries over).
_handling: ContextVar[Completion | None] = ContextVar("telegram_inbox_completion", default=None)


class TelegramAdapter:
    def __init__(
        self,
        core: Core,
        application: Application,  # type: ignore[type-arg]
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        poll_timeout: float = 10.0,
        inbound: Inbound | None = None,
        budget: SharedBudget | None = None,
    ) -> None:
        self.core = core
        self.application = application
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self.inbound = inbound or Inbound(core.database, core.clock)
        self.inbound.register(PLATFORM, self._process)
        self.budget = budget
        self._accepting = False
        self._polling: asyncio.Task[None] | None = None
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)

    @property
    def name(self) -> str:
        return PLATFORM

    @property
    def supports_group_dm(self) -> bool:
        return False

    # Lifecycle

    async def start(self) -> None:
        """Say hello (getMe), publish the command menu, start handling recorded updates, then take new ones by
        webhook or long polling."""
        await self.application.initialize()
        await self._publish_commands()
        await self.application.start()
        self.inbound.start()
        if self.webhook_url is not None:
            await self.application.bot.set_webhook(
                self.webhook_url, allowed_updates=ALLOWED_UPDATES, secret_token=self.webhook_secret
            )
        else:
            await self.application.bot.delete_webhook()
            self._polling = asyncio.create_task(self._poll())
        self._accepting = True
        log.info("telegram adapter started", extra={"bot": self.application.bot.username})

    async def stop(self) -> None:
        """Stop taking updates (the webhook answers 503, so Telegram keeps them; polling stops before confirming
        what it has not recorded), finish the update in hand (the rest stay in the inbox for any replica), then
        close the HTTP clients."""
        await self.stop_accepting()
        await self.inbound.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def stop_accepting(self) -> None:
        """The first step of a shutdown: no new updates (the webhook answers 503; polling stops)."""
        self._accepting = False
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None

    async def healthy(self) -> bool:
        polling_ok = self.webhook_url is not None or (self._polling is not None and not self._polling.done())
        return self.application.running and self.inbound.running and polling_ok

    async def _poll(self) -> None:
        """Long polling that confirms an offset only after recording: Telegram forgets updates below the offset
        of the next ``getUpdates``, so that call is made only once the previous batch is committed."""
        offset: int | None = None
        while True:
            try:
                batch = await self._fetch(offset)
                readable = [data for data in batch if _readable(data, self.application.bot)]
                if readable:
                    await self.inbound.record([_recorded(data) for data in readable])
                if batch:
                    offset = max(int(data["update_id"]) for data in batch) + 1
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("long polling failed; retrying", exc_info=True)
                await asyncio.sleep(POLL_RETRY_SECONDS)

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """The next batch of updates as JSON. PTB refuses a whole batch when it cannot read one update in it, so
        that batch is asked for again raw (it is waiting: no long poll), and the unreadable one is dropped by
        ``_readable`` instead of blocking every later update for ever."""
        bot = self.application.bot
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            with warnings.catch_warnings():  # PTB suggests get_updates, which is what could not read it
                warnings.simplefilter("ignore", PTBUserWarning)
                raw = await bot.do_api_request(
                    "getUpdates", api_kwargs={"offset": offset, "timeout": 0, "allowed_updates": ALLOWED_UPDATES}
                )
            return [data for data in raw if isinstance(data, dict) and isinstance(data.get("update_id"), int)]
        return [update.to_dict() for update in updates]

    async def _publish_commands(self) -> None:
        commands = [
            BotCommand(spec.name, spec.summary[:256] or spec.name)
            for spec in self.core.router.commands.values()
            if COMMAND_NAME.fullmatch(spec.name)
        ]
        try:
            await self.application.bot.set_my_commands(commands[:100])
        except TelegramError:
            log.warning("could not publish the command menu", exc_info=True)

    # Inbound

    async def webhook(self, request: Request) -> Response:
        """``POST /telegram/webhook``: only Telegram knows the secret, so anything else stops here. The 200 goes
        back only once the update is committed to the inbox; if recording fails Telegram gets a 500 and retries."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if self.webhook_secret is None or not hmac.compare_digest(given, self.webhook_secret.encode()):
            return Response(status_code=403)
        if not self._accepting:
            return Response(status_code=503)  # shutting down: Telegram keeps the update and sends it again
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        if not _readable(data, self.application.bot):
            return Response(status_code=200)  # Telegram would resend it for ever: acknowledged, and logged
        await self.inbound.record([_recorded(data)])
        return Response(status_code=200)

    async def _process(self, claimed: ClaimedUpdate, completion: Completion) -> None:
        """The inbox worker's handler: the recorded update goes through PTB as if it had just arrived."""
        update = Update.de_json(claimed.payload, self.application.bot)
        token = _handling.set(completion)
        try:
            await self.application.process_update(update)
        finally:
            _handling.reset(token)

    async def _on_update(self, update: Update, context: Context) -> None:
        query = update.callback_query
        try:
            incoming = translate(update, self.application.bot.username, self.core.router.commands.keys())
            if incoming is None:
                return
            try:
                actions = await self.core.handle(incoming, within=_handling.get())
            except ClaimLost:
                log.warning("update taken over by another replica", extra={"update": update.update_id})
                return
            chat = update.effective_chat
            for number, action in enumerate(actions):
                if chat is None:
                    break
                is_group = chat.type != "private"
                try:
                    if self.budget is not None:  # answers wait in the same line as the outbox's sends
                        await self.budget.wait_turn(PLATFORM, str(chat.id), is_group)
                    origin = query.message if query is not None else None
                    if isinstance(action, EditOrigin) and isinstance(origin, TelegramMessage):
                        await self._replace(origin.chat_id, origin.message_id, action.message)
                    else:
                        await self._post(chat.id, action.message, topic_of(update))
                except RetryAfter as refused:
                    await self._answer_later(update.update_id, number, chat.id, is_group, action.message, refused)
                except TelegramError:
                    log.warning("could not answer an update", exc_info=True, extra={"update": update.update_id})
        finally:
            if query is not None:
                with contextlib.suppress(TelegramError):
                    await query.answer()

    async def _answer_later(
        self, update_id: int, number: int, chat_id: int, is_group: bool, message: Message, refused: RetryAfter
    ) -> None:
        """Flood control refused an answer: it goes to the outbox, which sends it once the wait is over."""
        wait = delivery_error(refused)
        delay = wait.retry_after if isinstance(wait, RateLimited) else 1.0
        now = self.core.clock.now()
        later = NewMessage(
            f"reply:{PLATFORM}:{update_id}:{number}",
            PLATFORM,
            str(chat_id),
            message.to_dict(),
            address_kind="channel" if is_group else "member",
            not_before=now + timedelta(seconds=delay),
        )
        async with self.core.database.transaction() as session:
            await outbox.enqueue(session, [later], now)
        log.info("answer queued after a 429", extra={"update": update_id, "retry_after": delay})

    async def _on_error(self, update: object, context: Context) -> None:
        log.error("error while handling a Telegram update", exc_info=context.error)

    # Outbound: the port

    async def send(self, address: Address, message: Message) -> Delivered:
        if address.kind == "group":
            raise PermanentDeliveryError("Telegram cannot open one conversation with several members")
        chat_id = _number(address.user_id)
        try:
            sent = await self._post(chat_id, message)
        except TelegramError as error:
            raise delivery_error(error) from error
        return Delivered(PLATFORM, str(sent.chat_id), str(sent.message_id))

    async def edit(self, delivered: Delivered, message: Message) -> None:
        try:
            await self._replace(_number(delivered.chat_id), _number(delivered.message_id), message)
        except TelegramError as error:
            raise delivery_error(error) from error

    # Outbound: the Bot API calls

    def _parts(self, message: Message) -> list[Rendered]:
        return split(render(message, bot_username=self.application.bot.username))

    async def _post(self, chat_id: int, message: Message, topic: int | None = None) -> TelegramMessage:
        """Send the message's parts (the keyboard rides on the last, which is returned), then any QR code, then
        its files. ``topic``: the forum topic to answer in (where the command came from). A file whose caption
        is the whole text (a calendar file) goes alone, its caption shown once."""
        if _captioned_file(message):
            return await self._upload(chat_id, message.attachments[0], topic)
        sent = [await self._send_part(chat_id, part, topic) for part in self._parts(message)]
        if message.invite_code is not None:
            await self._send_qr(chat_id, message.invite_code)
        for attachment in message.attachments:
            await self._send_file(chat_id, attachment)
        return sent[-1]

    async def _send_file(self, chat_id: int, attachment: Attachment) -> None:
        """An image as a photo (sendPhoto), anything else as a document. Best effort, as the QR code: the text
        has gone, and raising now would make the outbox send the text again."""
        try:
            await self._upload(chat_id, attachment)
        except TelegramError:
            log.warning("could not send a file", exc_info=True, extra={"file": attachment.filename})

    async def _upload(self, chat_id: int, attachment: Attachment, topic: int | None = None) -> TelegramMessage:
        upload = InputFile(attachment.data, filename=attachment.filename)
        caption = attachment.caption[:CAPTION_LIMIT] or None
        if attachment.content_type == "image/png":
            return await self.application.bot.send_photo(chat_id, upload, caption=caption, message_thread_id=topic)
        return await self.application.bot.send_document(chat_id, upload, caption=caption, message_thread_id=topic)

    async def _send_part(self, chat_id: int, part: Rendered, topic: int | None = None) -> TelegramMessage:
        sent: TelegramMessage = await self.application.bot.send_message(
            chat_id,
            part.text,
            entities=part.entities,
            reply_markup=part.keyboard,
            link_preview_options=NO_PREVIEW,
            message_thread_id=topic,
        )
        return sent

    async def _send_qr(self, chat_id: int, code: str) -> None:
        """The join link as a QR code, for an organiser to show on a screen. Best effort: the text went."""
        link = deep_link(self.application.bot.username, code)
        if link is None:
            return
        try:
            await self.application.bot.send_photo(
                chat_id,
                InputFile(qr_png(link), filename=f"join-{code}.png"),
                caption=f"Scan to join (code {code})",
            )
        except TelegramError:
            log.warning("could not send the invitation QR code", exc_info=True)

    async def _replace(self, chat_id: int, message_id: int, message: Message) -> None:
        """Edit a message in place; parts beyond the first (a long edit) follow as new messages."""
        first, *rest = self._parts(message)
        try:
            await self.application.bot.edit_message_text(
                first.text,
                chat_id=chat_id,
                message_id=message_id,
                entities=first.entities,
                reply_markup=first.keyboard if not rest else None,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            if "message is not modified" not in error.message.lower():
                raise
        for part in rest:
            await self._send_part(chat_id, part)


def _readable(data: dict[str, Any], bot: Bot) -> bool:
    """Whether PTB can read the update; one it cannot is logged and dropped (kept, it would come back for ever)."""
    try:
        Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("an update python-telegram-bot cannot read was dropped", extra={"update": data.get("update_id")})
        return False
    return True


def _captioned_file(message: Message) -> bool:
    """One file whose caption says all the text does (no buttons, no invitation): sent as that file alone."""
    if len(message.attachments) != 1 or message.buttons or message.invite_code is not None:
        return False
    caption = message.attachments[0].caption
    return bool(caption) and len(caption) <= CAPTION_LIMIT and caption == message.plain_text()


def _recorded(data: dict[str, object]) -> NewUpdate:
    """An update as the inbox keeps it: keyed by its id, ordered within its chat (or its sender's, for a button
    press whose message is gone)."""
    chat = _chat_of(data)
    return NewUpdate(PLATFORM, str(data["update_id"]), chat or f"update:{data['update_id']}", dict(data))


def _chat_of(data: dict[str, object]) -> str | None:
    for kind in ALLOWED_UPDATES:
        body = data.get(kind)
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return str(message["chat"].get("id"))
        sender = body.get("from")
        if isinstance(sender, dict):
            return str(sender.get("id"))
    return None


def delivery_error(error: TelegramError) -> DeliveryError:
    """The core's outcome for a Bot API failure."""
    if isinstance(error, Forbidden):
        return RecipientUnreachable(error.message)
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB warns that the int form is deprecated; we accept both
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        return RateLimited(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(error, ChatMigrated):
        return ChatMoved(str(error.new_chat_id))
    if isinstance(error, BadRequest):  # a subclass of NetworkError: test it first
        if any(hint in error.message.lower() for hint in UNREACHABLE_HINTS):
            return RecipientUnreachable(error.message)
        return PermanentDeliveryError(error.message)
    if isinstance(error, NetworkError) and may_have_arrived(error):
        return DeliveryUncertain(error.message)
    if isinstance(error, NetworkError):  # never sent (no connection, pool full) or refused with a 5xx
        return TransientDeliveryError(error.message)
    return PermanentDeliveryError(error.message)


def may_have_arrived(error: NetworkError) -> bool:
    """PTB raises TimedOut / NetworkError from the httpx error underneath. A request that never left (no
    connection, connection pool full) can be sent again; a read or write timeout, or a connection dropped
    mid-request, may have reached Telegram, which then sent the message."""
    cause = error.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return isinstance(cause, httpx.TransportError)


def _number(value: str) -> int:
    """Telegram chat and message ids are integers; anything else cannot be delivered to."""
    try:
        return int(value)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram id: {value!r}") from None
