"""A stand-in platform for the worker tests: an HTTP server on port 0 that records every message it gets."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Recorder:
    received: list[str] = field(default_factory=list)
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, to) as each came in
    delay: tuple[float, float] = (0.0, 0.003)
    runner: web.AppRunner | None = None
    url: str = ""

    async def _message(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrivals.append((time.monotonic(), body["to"]))
        await asyncio.sleep(random.uniform(*self.delay))
        self.received.append(body["to"])
        return web.json_response({"ok": True, "message_id": str(len(self.received))})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/send", self._message)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/send"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def most_in_a_second(self, to: str | None = None) -> int:
        """The most messages (to one recipient, or overall) that arrived within any one second."""
        times = [at for at, who in self.arrivals if to is None or who == to]
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def copies(self) -> Counter[str]:
        return Counter(self.received)
