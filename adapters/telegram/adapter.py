"""The Telegram adapter: python-telegram-bot in, the core in the middle, the port out.

Thin on purpose: updates are translated and handed to ``Core.handle``; the actions it returns are rendered
and sent. Errors from the Bot API become the core's delivery outcomes. No rate limiter or retry layer is
installed, so flood control and failures reach the outbox, which owns retrying.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import warnings
from collections import OrderedDict
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from telegram import BotCommand, InputFile, LinkPreviewOptions, Update
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
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.render import Rendered, deep_link, qr_png, render, split
from adapters.telegram.translate import topic_of, translate
from bot.core import Core
from bot.errors import (
    ChatMoved,
    DeliveryError,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Address, Attachment, EditOrigin, Message
from bot.port import Delivered

log = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
RECENT_UPDATES = 2048
MAX_WEBHOOK_BODY = 1_000_000
UNREACHABLE_HINTS = ("chat not found", "user not found", "peer_id_invalid")
CAPTION_LIMIT = 1024  # characters of a photo's or document's caption
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # links in intros and invitations stay lines, not cards

Context = ContextTypes.DEFAULT_TYPE


class TelegramAdapter:
    def __init__(
        self,
        core: Core,
        application: Application,  # type: ignore[type-arg]
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        poll_timeout: float = 10.0,
    ) -> None:
        self.core = core
        self.application = application
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self._recent: OrderedDict[int, None] = OrderedDict()
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
        """Say hello (getMe), publish the command menu, then take updates by webhook or long polling."""
        await self.application.initialize()
        await self._publish_commands()
        if self.webhook_url is not None:
            await self.application.bot.set_webhook(
                self.webhook_url, allowed_updates=ALLOWED_UPDATES, secret_token=self.webhook_secret
            )
            await self.application.start()
        else:
            await self.application.start()
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout), allowed_updates=ALLOWED_UPDATES
            )
        log.info("telegram adapter started", extra={"bot": self.application.bot.username})

    async def stop(self) -> None:
        """Stop fetching, finish the updates already taken, then close the HTTP clients."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def healthy(self) -> bool:
        updater = self.application.updater
        polling_ok = self.webhook_url is not None or (updater is not None and updater.running)
        return self.application.running and polling_ok

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
        """``POST /telegram/webhook``: only Telegram knows the secret, so anything else stops here."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if self.webhook_secret is None or not hmac.compare_digest(given, self.webhook_secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return Response(status_code=400)
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def _on_update(self, update: Update, context: Context) -> None:
        if self._seen(update.update_id):
            return
        query = update.callback_query
        try:
            incoming = translate(update, self.application.bot.username)
            if incoming is None:
                return
            actions = await self.core.handle(incoming)
            chat = update.effective_chat
            for action in actions:
                try:
                    origin = query.message if query is not None else None
                    if isinstance(action, EditOrigin) and isinstance(origin, TelegramMessage):
                        await self._replace(origin.chat_id, origin.message_id, action.message)
                    elif chat is not None:
                        await self._post(chat.id, action.message, topic_of(update))
                except TelegramError:
                    log.warning("could not answer an update", exc_info=True, extra={"update": update.update_id})
        finally:
            if query is not None:
                with contextlib.suppress(TelegramError):
                    await query.answer()

    def _seen(self, update_id: int) -> bool:
        """True for an update already taken (a webhook retry, a re-delivery after a restart)."""
        if update_id in self._recent:
            return True
        self._recent[update_id] = None
        if len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)
        return False

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
        its files. ``topic``: the forum topic to answer in (where the command came from)."""
        sent = [await self._send_part(chat_id, part, topic) for part in self._parts(message)]
        if message.invite_code is not None:
            await self._send_qr(chat_id, message.invite_code)
        for attachment in message.attachments:
            await self._send_file(chat_id, attachment)
        return sent[-1]

    async def _send_file(self, chat_id: int, attachment: Attachment) -> None:
        """An image as a photo (sendPhoto), anything else as a document. Best effort, as the QR code: the text
        has gone, and raising now would make the outbox send the text again."""
        upload = InputFile(attachment.data, filename=attachment.filename)
        caption = attachment.caption[:CAPTION_LIMIT] or None
        try:
            if attachment.content_type == "image/png":
                await self.application.bot.send_photo(chat_id, upload, caption=caption)
            else:
                await self.application.bot.send_document(chat_id, upload, caption=caption)
        except TelegramError:
            log.warning("could not send a file", exc_info=True, extra={"file": attachment.filename})

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
    if isinstance(error, NetworkError):  # TimedOut, connection errors, and every 5xx
        return TransientDeliveryError(error.message)
    return PermanentDeliveryError(error.message)


def _number(value: str) -> int:
    """Telegram chat and message ids are integers; anything else cannot be delivered to."""
    try:
        return int(value)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram id: {value!r}") from None
