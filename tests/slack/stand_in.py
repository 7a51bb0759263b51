"""A local stand-in for Slack's Web API: records every call and checks request shapes the way Slack does.

It serves ``/api/<method>`` on 127.0.0.1 (port 0), accepts query, form-encoded and JSON arguments, answers
with realistic payloads (``ts``, D… channels for DMs, G… for group DMs) and can be told to fail the next
calls of a method (an error code, a status such as 429 with ``Retry-After``).

With :meth:`SlackStandIn.enforce` it also refuses calls beyond Slack's published limits
(``adapters.slack.tiers``) the way Slack does, with 429 and ``Retry-After``, and counts them per method: each
tier as a sliding window of its calls per minute, per workspace and method (Slack allows bursts within the
minute); chat.postMessage as 1 per second per conversation with short bursts (3 within any 3 seconds). A
``scale`` runs the same windows that many times faster, keeping the ratios (Retry-After then has decimals).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.slack.tiers import SLACK_METHODS, MethodLimit

TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
KNOWN_BLOCKS = {"section", "actions", "context", "divider", "header", "input", "image", "rich_text"}
RICH_OBJECTS = {"rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"}
RICH_PARTS = {"text", "user", "link", "emoji", "channel", "usergroup", "broadcast", "date", "team"}
RICH_STYLES = {"bold", "italic", "strike", "code", "underline"}
POST_BURST = 3  # chat.postMessage: "1 per second, short bursts >1 allowed"


def visible_text(message: dict[str, Any]) -> str:
    """What a person reads in a posted message's blocks: mrkdwn sections and context as written, rich text as
    its parts (a user element as ``<@U…>``, the way Slack's clients resolve it to a name)."""
    out: list[str] = []
    for block in message.get("blocks") or []:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.append(" ".join(element.get("text", "") for element in block["elements"]))
        elif block["type"] == "rich_text":
            out.append(_rich_text(block))
    return "\n".join(out)


def live_markup(args: dict[str, Any]) -> list[str]:
    """Where a call could notify or link: markup in its mrkdwn fields, or a broadcast/link element in its rich
    text that did not come from the renderer's own t.me links. Rich text ``text`` elements are literal."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and "<!" in str(node.get("text")):
                found.append(str(node["text"]))
            if node.get("type") == "broadcast":
                found.append(json.dumps(node))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    if "<!" in str(args.get("text") or ""):
        found.append(str(args["text"]))
    walk(args.get("blocks"))
    walk(args.get("view"))
    return found


def _rich_text(block: dict[str, Any]) -> str:
    lines = []
    for element in block["elements"]:
        parts = element.get("elements", [])
        lines.append(
            "".join(f"<@{p['user_id']}>" if p["type"] == "user" else p.get("text", p.get("url", "")) for p in parts)
        )
    return "\n".join(lines)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    ok: bool = True

    def dump(self) -> str:
        return json.dumps(self.args, ensure_ascii=False)


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: float | None = None
    channel: str | None = None  # only calls for this channel (or users, for conversations.open)

    def applies(self, args: dict[str, Any]) -> bool:
        return self.channel is None or self.channel in (args.get("channel"), args.get("users"))


class SlackError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class SlackStandIn:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    channels: dict[str, set[str]] = field(default_factory=dict)  # channel id -> member ids (the bot if in it)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> name, bytes, where it was shared
    _failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    _conversations: dict[tuple[str, ...], str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> name, content, where shared
    _runner: web.AppRunner | None = None
    url: str = ""
    limits: Mapping[str, MethodLimit] | None = None  # enforced when set (see enforce)
    scale: float = 1.0
    too_many: Counter[str] = field(default_factory=Counter)  # 429s answered, per method
    admitted: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # monotonic times
    _windows: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))

    # -- set-up -------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_user(self, user_id: str, name: str, *, email: str | None = None, **extra: Any) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": "T1",
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": "Europe/London",
            "locale": "en-GB",
            "profile": {"real_name": name, "display_name": name, "email": email},
            **extra,
        }
        self.users[user_id] = user
        self._open((user_id,))  # every member has a DM with the bot (what app_home_opened reports)
        return user

    def add_channel(self, channel_id: str, *, bot_is_member: bool = True) -> None:
        self.channels[channel_id] = {BOT_USER} if bot_is_member else set()

    def enforce(self, methods: Mapping[str, MethodLimit] = SLACK_METHODS, *, scale: float = 1.0) -> None:
        """From now on, answer 429 to calls beyond ``methods``' published limits (``scale`` times faster)."""
        self.limits, self.scale = dict(methods), scale

    def _admit(self, method: str, args: dict[str, Any]) -> float:
        """0 when the call fits every window it falls in (and it is counted); else seconds until it would."""
        limit = (self.limits or {}).get(method)
        if limit is None:
            return 0.0
        now = time.monotonic()
        windows: list[tuple[deque[float], int, float]] = []
        if limit.per_minute is not None:
            windows.append((self._windows[(method, "")], math.floor(limit.per_minute), 60.0 / self.scale))
        if limit.per_conversation_per_second is not None:
            span = POST_BURST / (limit.per_conversation_per_second * self.scale)
            windows.append((self._windows[(method, str(args.get("channel") or ""))], POST_BURST, span))
        wait = 0.0
        for window, most, span in windows:
            while window and now - window[0] >= span:
                window.popleft()
            if len(window) >= most:
                wait = max(wait, window[0] + span - now)
        if wait > 0:
            return wait
        for window, _, _ in windows:
            window.append(now)
        self.admitted[method].append(now)
        return 0.0

    def _retry_after(self, wait: float) -> str:
        """Whole seconds, as Slack sends them; on a scaled clock, whole scaled seconds."""
        return str(math.ceil(wait)) if self.scale == 1 else f"{math.ceil(wait * self.scale) / self.scale:.4f}"

    def fail_next(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        channel: str | None = None,
    ) -> None:
        """The next call of ``method`` (for ``channel``, if given) fails like Slack would; failures queue up."""
        self._failures[method].append(Failure(error, status, retry_after, channel))

    # -- inspection ---------------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = True) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted in ``channel``, oldest first, as they are now (after any chat.update)."""
        return [message for (where, _), message in self.messages.items() if where == channel]

    def files_in(self, channel: str) -> list[dict[str, Any]]:
        """The files shared in ``channel`` (completed uploads), oldest first."""
        return [f for f in self.files.values() if channel in f["channels"]]

    def dm_of(self, user_id: str) -> str | None:
        return self._conversations.get((user_id,))

    def conversation(self, *users: str) -> str | None:
        return self._conversations.get(tuple(sorted(users)))

    # -- the API ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        call = Call(method, args)
        self.calls.append(call)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            call.ok = False
            return web.json_response({"ok": False, "error": "not_authed"})
        wait = self._admit(method, args)
        if wait > 0:
            call.ok = False
            self.too_many[method] += 1
            headers = {"Retry-After": self._retry_after(wait)}
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        failure = next((f for f in self._failures[method] if f.applies(args)), None)
        if failure is not None:
            self._failures[method].remove(failure)
            call.ok = False
            headers = {"Retry-After": str(int(failure.retry_after))} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            call.ok = False
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        try:
            result = handler(args)
        except SlackError as error:
            call.ok = False
            return web.json_response({"ok": False, "error": error.error})
        return web.json_response({"ok": True, **result})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://test.slack.com/", "team": "Test", "user": "icebreaker", "team_id": "T1",
                "user_id": BOT_USER, "bot_id": "BBOT", "is_enterprise_install": False}  # fmt: skip

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").casefold()
        for user in self.users.values():
            if (user["profile"].get("email") or "").casefold() == email and email:
                return {"user": user}
        raise SlackError("users_not_found")

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ids = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not ids:
            raise SlackError("users_list_not_supplied")
        if len(ids) > 8:
            raise SlackError("too_many_users")
        for user_id in ids:
            user = self.users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user.get("deleted"):
                raise SlackError("account_inactive")
            if user.get("is_bot"):
                raise SlackError("cannot_dm_bot")
        return {"channel": {"id": self._open(tuple(sorted(set(ids))))}, "no_op": False, "already_open": False}

    def _open(self, key: tuple[str, ...]) -> str:
        if key not in self._conversations:
            prefix = "D" if len(key) == 1 else "G"
            self._conversations[key] = f"{prefix}{next(self._ids):07d}"
            self.channels[self._conversations[key]] = {BOT_USER, *key}
        return self._conversations[key]

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        self._check_content(args)
        ts = f"17000000{next(self._ids):02d}.000100"
        message = {"type": "message", "user": BOT_USER, "ts": ts, "text": args.get("text", ""),
                   "blocks": args.get("blocks", [])}  # fmt: skip
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("ts") or "")
        if (channel, ts) not in self.messages:
            raise SlackError("message_not_found")
        self._check_content(args)
        self.messages[(channel, ts)].update(text=args.get("text", ""), blocks=args.get("blocks", []))
        return {"channel": channel, "ts": ts, "text": args.get("text", "")}

    # files_upload_v2: files.getUploadURLExternal, a POST of the bytes to the URL it gave, then
    # files.completeUploadExternal, which shares the uploaded files in a channel.

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):07d}"
        self.files[file_id] = {
            "id": file_id,
            "filename": filename,
            "name": filename,
            "length": int(length),
            "data": None,
            "content": None,
            "channels": [],
            "title": None,
            "initial_comment": None,
        }
        return {"upload_url": self.url.removesuffix("/api/") + f"/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        entry = self.files.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"], "bytes": len(data)}))
        if entry is None:
            return web.Response(status=404, text="unknown upload")
        if request.content_type.startswith("multipart/"):
            return web.Response(status=400, text="expected the raw bytes")
        if len(data) != entry["length"]:
            return web.Response(status=400, text="length does not match files.getUploadURLExternal")
        entry["data"] = entry["content"] = data
        return web.Response(status=200, text="OK - " + str(len(data)))

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        listed = json.loads(str(args.get("files") or "[]"))
        channel = self._channel({"channel": args.get("channel_id")}) if args.get("channel_id") else None
        done = []
        for item in listed:
            entry = self.files.get(str(item.get("id")))
            if entry is None or entry["data"] is None:
                raise SlackError("file_not_found")
            entry["title"] = item.get("title")
            entry["initial_comment"] = args.get("initial_comment")
            if channel is not None:
                entry["channels"].append(channel)
            done.append({"id": item["id"], "name": entry["filename"], "title": entry["title"]})
        return {"files": done}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("user_id")) not in self.users:
            raise SlackError("user_not_found")
        return {"view": self._check_view(args, "home")}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            raise SlackError("invalid_arguments")
        return {"view": self._check_view(args, "modal")}

    # -- validation ---------------------------------------------------------------------------------

    def _channel(self, args: dict[str, Any]) -> str:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        members = self.channels.get(channel)
        if members is None:
            raise SlackError("channel_not_found")
        if BOT_USER not in members:
            raise SlackError("not_in_channel")
        return channel

    def _check_content(self, args: dict[str, Any]) -> None:
        blocks = args.get("blocks")
        if not args.get("text") and not blocks:
            raise SlackError("no_text")
        if len(str(args.get("text") or "")) > 40_000:
            raise SlackError("msg_too_long")
        if blocks is not None:
            self._check_blocks(blocks, 50)

    def _check_view(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != kind:
            raise SlackError("invalid_arguments")
        for key in ("title", "submit", "close"):
            if key in view and len(view[key]["text"]) > 24:
                raise SlackError("invalid_arguments")
        self._check_blocks(view.get("blocks") or [], 100)
        return {**view, "id": f"V{next(self._ids):07d}"}

    @staticmethod
    def _check_blocks(blocks: Any, limit: int) -> None:
        if not isinstance(blocks, list) or len(blocks) > limit:
            raise SlackError("invalid_blocks")
        action_ids: set[str] = set()
        for block in blocks:
            if block.get("type") not in KNOWN_BLOCKS:
                raise SlackError("invalid_blocks")
            text = block.get("text") or {}
            if block["type"] == "section" and not (0 < len(text.get("text", "")) <= 3000):
                raise SlackError("invalid_blocks")
            if block["type"] == "actions" and not (0 < len(block.get("elements", [])) <= 25):
                raise SlackError("invalid_blocks")
            if block["type"] == "rich_text":
                SlackStandIn._check_rich_text(block)
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                action_id = element.get("action_id", "")
                if not action_id or len(action_id) > 255 or action_id in action_ids:
                    raise SlackError("invalid_blocks")
                action_ids.add(action_id)
                label, value = (element.get("text") or {}).get("text", ""), element.get("value", "")
                if element.get("type") == "button" and (not 0 < len(label) <= 75 or len(value) > 2000):
                    raise SlackError("invalid_blocks")

    @staticmethod
    def _check_rich_text(block: dict[str, Any]) -> None:
        """Rich text as Block Kit documents it: objects of known types holding parts of known types; a text part
        has a non-empty string, a user part a user id, a link part a URL; styles only from the documented set."""
        objects = block.get("elements")
        if not isinstance(objects, list) or not objects:
            raise SlackError("invalid_blocks")
        for obj in objects:
            parts = obj.get("elements")
            if obj.get("type") not in RICH_OBJECTS or not isinstance(parts, list) or not parts:
                raise SlackError("invalid_blocks")
            for part in parts:
                kind = part.get("type")
                if kind not in RICH_PARTS or not set(part.get("style") or {}) <= RICH_STYLES:
                    raise SlackError("invalid_blocks")
                if kind == "text" and not (isinstance(part.get("text"), str) and part["text"]):
                    raise SlackError("invalid_blocks")
                if (kind == "user" and not part.get("user_id")) or (kind == "link" and not part.get("url")):
                    raise SlackError("invalid_blocks")
