"""Slack's side of HTTP mode: requests shaped like Slack's, signed with the signing secret like Slack signs.

``v0=`` + HMAC-SHA256 of ``v0:<timestamp>:<body>``, in ``X-Slack-Signature``, with the timestamp in
``X-Slack-Request-Timestamp``. Each helper can also tamper with the body or the timestamp, or not sign.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = {"id": "T1", "domain": "test"}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Slack:
    """Posts to the app's ``/slack/events`` as Slack would."""

    url: str
    secret: str = SECRET
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        age: float = 0.0,
        sign: bool = True,
        tamper: bool = False,
    ) -> httpx.Response:
        timestamp = str(int(time.time() - age))
        sent = {"Content-Type": content_type, **(headers or {})}
        if sign:
            sent["X-Slack-Request-Timestamp"] = timestamp
            sent["X-Slack-Signature"] = signature(self.secret, timestamp, body)
        if tamper:
            body = body.replace(b"help", b"forget") if b"help" in body else body + b" "
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(self.url, content=body, headers=sent)

    async def command(
        self, user: str, text: str, *, channel: str = "D0000001", channel_name: str = "directmessage", **options: Any
    ) -> httpx.Response:
        form = {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/icebreaker",
            "text": text,
            "api_app_id": "A1",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": self._trigger(),
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **options)

    async def press(self, user: str, value: str, *, channel: str, ts: str, action_id: str = "ib.0.0") -> httpx.Response:
        """A button pressed on a message the bot posted."""
        payload = self._interaction("block_actions", user)
        payload |= {
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": ts, "user": "UBOT"},
            "response_url": "https://hooks.slack.invalid/actions/1",
            "actions": [_action(action_id, value)],
        }
        return await self._interact(payload)

    async def press_home(self, user: str, action_id: str) -> httpx.Response:
        """A button pressed in the App Home (a view, not a message)."""
        payload = self._interaction("block_actions", user)
        payload |= {
            "container": {"type": "view", "view_id": "V0000001"},
            "view": {"id": "V0000001", "type": "home", "callback_id": ""},
            "actions": [_action(action_id, "")],
        }
        return await self._interact(payload)

    async def submit(
        self, user: str, callback_id: str, values: dict[str, dict[str, Any]], *, private_metadata: str = ""
    ) -> httpx.Response:
        """A modal submitted; ``values`` maps block_id (= action_id) to the element's state; ``private_metadata``
        is sent back as the app set it when it opened the modal."""
        payload = self._interaction("view_submission", user)
        state = {block: {block: value} for block, value in values.items()}
        payload["view"] = {
            "id": "V0000002",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": state},
        }
        return await self._interact(payload)

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None, **options: Any
    ) -> httpx.Response:
        body = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(body).encode(), "application/json", headers=headers, **options)

    def _interaction(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "team": TEAM,
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": self._trigger(),
        }

    async def _interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    def _trigger(self) -> str:
        return f"{next(self._ids)}.1.abcdef"


def _action(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": "b1",
        "text": {"type": "plain_text", "text": "x"},
        "value": value,
        "action_ts": f"{time.time():.6f}",
    }
