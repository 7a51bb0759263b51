"""The Slack adapter: the platform port for the outbox, and the Bolt app that feeds the core.

Two ways to hear from Slack: Socket Mode when an app-level token is configured (no public URL needed), or
HTTP mode, where ``POST /slack/events`` on the shared :class:`adapters.http.HttpServer` hands each request
to Bolt, whose request verification rejects bad signatures, tampered bodies and stale timestamps (401).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from adapters.http import HttpServer
from adapters.slack.listeners import Core, Later, Listeners
from adapters.slack.outbound import PLATFORM, Outbound
from adapters.slack.pacing import Pacer
from bot.inbound import Inbound
from bot.messages import Address, Message
from bot.port import Delivered

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
STOP_GRACE = 10.0  # seconds stop() waits for listeners that are still answering


class SlackAdapter:
    def __init__(
        self,
        core: Core,
        client: AsyncWebClient,
        *,
        signing_secret: str,
        app_token: str | None,
        inbound: Inbound | None = None,
        later: Later | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer
        self.outbound = Outbound(client, pacer=pacer)
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=False,  # ack first; listeners go on as tasks after the response
            request_verification_enabled=True,
            name="icebreaker",
        )
        self.inbound = inbound
        self.listeners = Listeners(core, self.outbound, inbound, later)
        self.listeners.register(self.app)
        self._http = AsyncSlackRequestHandler(self.app)
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None

    @property
    def name(self) -> str:
        return PLATFORM

    @property
    def supports_group_dm(self) -> bool:
        return True

    @property
    def mode(self) -> Literal["socket", "http"]:
        return "socket" if self._app_token else "http"

    async def turn(self, address: Address, message: Message) -> float:
        """The outbox reserves each send's turn first (``bot.port.Paced``), so a row never waits as 'sending'."""
        return await self.outbound.reserve(address, message)

    async def send(self, address: Address, message: Message) -> Delivered:
        return await self.outbound.send(address, message, reserved=True)

    async def edit(self, delivered: Delivered, message: Message) -> None:
        await self.outbound.edit(delivered, message)

    def mount(self, http: HttpServer) -> None:
        """HTTP mode: Slack posts events, commands and interactions here (Request URL in the manifest)."""
        http.add_route(EVENTS_PATH, self.endpoint, methods=["POST"])

    async def endpoint(self, request: Request) -> Response:
        return await self._http.handle(request)

    def socket_handler(self) -> AsyncSocketModeHandler:
        """Socket Mode's connection, made on first use (it opens an aiohttp session, so inside the loop)."""
        if self._app_token is None:
            raise RuntimeError("Socket Mode needs ICEBREAKER_SLACK_APP_TOKEN")
        if self._socket is None:
            self._socket = AsyncSocketModeHandler(self.app, self._app_token, web_client=self.client)
        return self._socket

    async def start(self) -> None:
        """Say hello (auth.test: the bot's user id, for mentions in events read from the inbox, and the workspace
        whose rate budgets this replica shares with the others). Slack that cannot be reached, or refuses the
        token, stops the start here: the runtime says so in one line."""
        if self.inbound is not None or self.pacer is not None:
            identity = await self.client.auth_test()
            self.listeners.bot_user_id = str(identity.get("user_id") or "") or None
            if self.pacer is not None and identity.get("team_id"):
                self.pacer.team = str(identity["team_id"])
        if self.inbound is not None:
            self.inbound.start()
        if self.mode == "socket":
            await self.socket_handler().connect_async()  # type: ignore[no-untyped-call]
        log.info("slack adapter started", extra={"mode": self.mode})

    async def healthy(self) -> bool:
        """Connected: the Web API accepts our token (and, in Socket Mode, the socket is open)."""
        if self.mode == "socket" and (self._socket is None or self._socket.client is None):
            return False
        try:
            return bool((await self.client.auth_test()).get("ok"))
        except Exception:
            return False

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        try:
            async with asyncio.timeout(STOP_GRACE):
                await self.idle()
        except TimeoutError:
            log.warning("slack listeners still busy at shutdown")
        if self.inbound is not None:
            await self.inbound.stop()

    async def idle(self) -> None:
        """Wait until no listener is still working after its ack (callers bound it with asyncio.timeout)."""
        await self.listeners.inflight.wait()
        if self.inbound is not None:
            await self.inbound.idle()
