"""The project's own ASGI server: Telegram's webhook, Slack's HTTP endpoint and the health check share it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

Endpoint = Callable[[Request], Awaitable[Response]]
HealthCheck = Callable[[], Awaitable[bool]]


class HttpServer:
    """Routes are added by the adapters before ``start``; ``port`` is known once it listens (port 0 works)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._routes: list[BaseRoute] = []
        self._checks: dict[str, HealthCheck] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def add_route(self, path: str, endpoint: Endpoint, methods: list[str]) -> None:
        self._routes.append(Route(path, endpoint, methods=methods))

    def mount(self, path: str, app: ASGIApp) -> None:
        """A whole application under ``path`` (the dashboard: its own routes, sessions and static files)."""
        self._routes.append(Mount(path, app=app))

    def add_health_check(self, name: str, check: HealthCheck) -> None:
        self._checks[name] = check

    @property
    def has_routes(self) -> bool:
        return bool(self._routes)

    def app(self) -> Starlette:
        return Starlette(routes=[*self._routes, Route("/healthz", self._health, methods=["GET"])])

    async def _health(self, request: Request) -> Response:
        results = {}
        for name, check in self._checks.items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        healthy = all(results.values())
        return JSONResponse({"ok": healthy, "checks": results}, status_code=200 if healthy else 503)

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", log_config=None)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
