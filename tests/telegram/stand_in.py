"""A local stand-in for the Telegram Bot API: an aiohttp server on 127.0.0.1, port 0.

It answers ``/bot<TOKEN>/<method>`` for the methods the adapter uses, validates parameters the way Telegram
does (answering 400 and recording a violation when they are wrong), keeps the chats' messages so edits and
button presses act on real state, and can be told to fail the next calls for a chat (429, 403, migration,
500). The test plays the users: it queues updates that long polling (or a webhook POST) delivers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.telegram.rules import (
    CAPTION_LIMIT,
    commands_problem,
    entities_problem,
    markup_problem,
    text_problem,
    webhook_problem,
)

TOKEN = "123456789:AAStandInTokenForTests_0123456789"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Icebreaker", "username": "icebreaker_test_bot"}
RAW_FIELDS = {"text", "caption", "url", "secret_token", "callback_query_id", "parse_mode"}
EDITING = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
LONG_POLL_CAP = 0.5  # seconds: an empty getUpdates answer comes back early, so nothing waits long


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat(self) -> dict[str, Any]:
        data = {"id": self.id, "type": "private", "first_name": self.first_name}
        return {**data, "username": self.username} if self.username else data


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    error: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class Failure:
    kind: str  # retry_after | forbidden | migrate | bad_request | server_error
    retry_after: int = 5
    migrate_to: int = -1001234567890


class StandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.queries: dict[str, bool] = {}  # callback query id -> answered
        self.commands: list[dict[str, Any]] | None = None
        self.documents: dict[str, bytes] = {}  # file_id -> what was uploaded
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._failures: dict[int, list[Failure]] = {}
        self._slow: dict[int, list[float]] = {}
        self._update_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._runner: web.AppRunner | None = None
        self._filenames: dict[str, str] = {}  # multipart field -> the file name it was sent with
        self.port = 0

    # Server lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{bot}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # What the test does as the users

    def add_user(self, user: User) -> None:
        """The user has opened a private chat with the bot (so the bot may write to them)."""
        self.chats.setdefault(user.id, user.chat())

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        return self.chats[chat_id]

    def message_update(self, user: User, text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """An update of ``user`` writing ``text`` (in their private chat unless ``chat``); not queued."""
        chat = chat or user.chat()
        self.chats.setdefault(chat["id"], chat)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user.to_dict(),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_@]+", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group())}]
        self.messages[(chat["id"], message["message_id"])] = message
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(self, user: User, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """An update of ``user`` pressing a button whose data is ``data`` on a stored message; not queued."""
        query_id = str(next(self._query_ids))
        self.queries[query_id] = False
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "chat_instance": f"instance-{chat_id}",
            "message": self.messages[(chat_id, message_id)],
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def queue(self, update: dict[str, Any]) -> int:
        self._updates.append(update)
        self._arrived.set()
        return int(update["update_id"])

    def answer_late(self, chat_id: int, seconds: float, *, times: int = 1) -> None:
        """The next calls for the chat succeed (the message is delivered) but are answered only after ``seconds``:
        longer than the client waits, it has timed out by then."""
        self._slow.setdefault(chat_id, []).extend([seconds] * times)

    async def _maybe_dawdle(self, params: dict[str, Any]) -> None:
        pending = self._slow.get(params.get("chat_id"))  # type: ignore[arg-type]
        if pending:
            await asyncio.sleep(pending.pop(0))

    def fail_next(self, chat_id: int, kind: str, *, times: int = 1, **details: Any) -> None:
        self._failures.setdefault(chat_id, []).extend(Failure(kind, **details) for _ in range(times))

    # What the test checks

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def documents_to(self, chat_id: int) -> list[tuple[str, bytes]]:
        """(file name, content) of every document the bot sent to a chat, oldest first."""
        return [
            (m["document"]["file_name"], self.documents[m["document"]["file_id"]])
            for m in self.bot_messages(chat_id)
            if "document" in m
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits), oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == chat_id and m["from"]["id"] == BOT["id"]]
        return sorted(found, key=lambda m: m["message_id"])

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.01)

    # The API

    async def _handle(self, request: web.Request) -> web.Response:
        params, files = await self._params(request)
        call = Call(request.match_info["method"], params, files=files)
        self.calls.append(call)
        try:
            if request.match_info["bot"] != f"bot{TOKEN}":
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_api_{call.method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if call.method in EDITING:
                self._maybe_fail(params)
                await self._maybe_dawdle(params)
            result = await handler(params, files)
        except ApiError as error:
            call.status, call.error = error.status, error.description
            body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.status)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
                self._filenames[key] = value.filename
            elif key in RAW_FIELDS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params, files

    def _invalid(self, method: str, description: str) -> ApiError:
        self.violations.append(f"{method}: {description}")
        return ApiError(400, f"Bad Request: {description}")

    def _maybe_fail(self, params: dict[str, Any]) -> None:
        pending = self._failures.get(params.get("chat_id"))  # type: ignore[arg-type]
        if not pending:
            return
        failure = pending.pop(0)
        if failure.kind == "retry_after":
            raise ApiError(
                429, f"Too Many Requests: retry after {failure.retry_after}", {"retry_after": failure.retry_after}
            )
        if failure.kind == "forbidden":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if failure.kind == "migrate":
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": failure.migrate_to},
            )
        if failure.kind == "bad_request":
            raise ApiError(400, "Bad Request: BUTTON_USER_PRIVACY_RESTRICTED")
        raise ApiError(500, "Internal Server Error")

    async def _api_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _api_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        deadline = asyncio.get_running_loop().time() + wait
        while not self._updates and asyncio.get_running_loop().time() < deadline:
            self._arrived.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(remaining, 0.001))
            except TimeoutError:
                break
        return self._updates[: int(params.get("limit") or 100)]

    async def _api_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._check("setWebhook", webhook_problem(params.get("url", ""), params.get("secret_token")))
        self.webhook = params
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._check("setMyCommands", commands_problem(params.get("commands")))
        self.commands = params["commands"]
        return True

    async def _api_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat("sendMessage", params)
        text = self._text("sendMessage", params)
        message = self._new_message(chat, text=text)
        self._style(message, params)
        return message

    async def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat("sendPhoto", params)
        photo = params.get("photo")
        content = files.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            content = files.get(photo.removeprefix("attach://"))
        if content is None or not content.startswith(b"\x89PNG\r\n\x1a\n"):
            raise self._invalid("sendPhoto", "wrong type of the web page content (expected an uploaded PNG)")
        caption = params.get("caption")
        if caption is not None:
            self._check("sendPhoto", text_problem(caption, CAPTION_LIMIT))
        self._check("sendPhoto", markup_problem(params.get("reply_markup")))
        message = self._new_message(chat, caption=caption)
        message["photo"] = [
            {"file_id": f"photo{message['message_id']}", "file_unique_id": "u", "width": 1, "height": 1}
        ]
        return message

    async def _api_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat("sendDocument", params)
        document = params.get("document")
        name = next(iter(files), None)
        if isinstance(document, str) and document.startswith("attach://"):
            name = document.removeprefix("attach://")
        content = files.get(name) if name is not None else None
        if content is None or not content:
            raise self._invalid("sendDocument", "there is no document in the request")
        caption = params.get("caption")
        if caption is not None:
            self._check("sendDocument", text_problem(caption, CAPTION_LIMIT))
            self._check("sendDocument", entities_problem(caption, params.get("caption_entities")))
        self._check("sendDocument", markup_problem(params.get("reply_markup")))
        message = self._new_message(chat, caption=caption)
        file_id = f"doc{len(self.documents) + 1}"
        self.documents[file_id] = content
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": self._filenames.get(name or "", "document"),
            "file_size": len(content),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._editable("editMessageText", params)
        text = self._text("editMessageText", params)
        new = {"text": text, "entities": params.get("entities") or [], "reply_markup": params.get("reply_markup")}
        old = {
            "text": message["text"],
            "entities": message.get("entities", []),
            "reply_markup": message.get("reply_markup"),
        }
        if new == old:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        message["text"], message["edit_date"] = text, int(time.time())
        self._style(message, params)  # no reply_markup in an edit removes the keyboard, as on Telegram
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._editable("editMessageReplyMarkup", params)
        self._check("editMessageReplyMarkup", markup_problem(params.get("reply_markup")))
        if params.get("reply_markup") == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        query_id = str(params.get("callback_query_id"))
        if self.queries.get(query_id, True):
            raise self._invalid(
                "answerCallbackQuery", "query is too old and response timeout expired or query ID is invalid"
            )
        self.queries[query_id] = True
        return True

    # Validation and state, as Telegram does it

    def _chat(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise self._invalid(method, "chat_id is empty")
        if chat_id not in self.chats:
            raise self._invalid(method, "chat not found")
        return self.chats[chat_id]

    def _text(self, method: str, params: dict[str, Any]) -> str:
        """The message text, checked with its entities and keyboard."""
        text = params.get("text")
        self._check(method, text_problem(text))
        assert isinstance(text, str)
        self._check(method, entities_problem(text, params.get("entities")))
        self._check(method, markup_problem(params.get("reply_markup")))
        return text

    def _check(self, method: str, problem: str | None) -> None:
        if problem is not None:
            raise self._invalid(method, problem)

    def _editable(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(method, params)
        message = self.messages.get((chat["id"], int(params.get("message_id") or 0)))
        if message is None:
            raise self._invalid(method, "message to edit not found")
        if message["from"]["id"] != BOT["id"] or "text" not in message:
            raise self._invalid(method, "message can't be edited")
        return message

    def _new_message(self, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time())}
        message["chat"] = chat
        message["from"] = dict(BOT)
        message.update({k: v for k, v in content.items() if v is not None})
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    @staticmethod
    def _style(message: dict[str, Any], params: dict[str, Any]) -> None:
        for key in ("entities", "reply_markup"):
            message.pop(key, None)
            if params.get(key):
                message[key] = params[key]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))
