"""Prometheus metrics in the text exposition format 0.0.4, written by hand (no new dependency).

Outbox and round figures are read from the database at scrape time, so every replica reports the same,
correct, whole-deployment numbers (aggregate them with ``max``, not ``sum``). Inbound events and adapter
connections are per process (``sum`` them across replicas).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.http import HttpServer
from bot.messages import ButtonPress, Command, FreeText, Incoming
from storage.database import Database
from storage.models import OutboxMessage, OutboxStatus, Round

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRICS_PATH = "/metrics"

Check = Callable[[], Awaitable[bool]]


def kind_of(incoming: Incoming) -> str:
    if isinstance(incoming, Command):
        return "command"
    if isinstance(incoming, ButtonPress):
        return "button"
    if isinstance(incoming, FreeText):
        return "text"
    return "other"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, value: float, **labels: str) -> str:
    if labels:
        inside = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
        name = f"{name}{{{inside}}}"
    return f"{name} {value:g}"


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


class Metrics:
    """The process's in-memory counters plus the database reads done at each scrape."""

    def __init__(self) -> None:
        self._inbound: Counter[tuple[str, str]] = Counter()
        self._connected: dict[str, bool] = {}
        self._checks: dict[str, Check] = {}

    def count_inbound(self, platform: str, kind: str) -> None:
        self._inbound[(platform, kind)] += 1

    def set_connected(self, platform: str, connected: bool) -> None:
        self._connected[platform] = connected

    def watch_connected(self, platform: str, check: Check) -> None:
        """Ask ``check`` (e.g. an adapter's ``healthy``) at every scrape instead of relying on ``set_connected``."""
        self._checks[platform] = check

    def observe(self, incoming: Incoming) -> None:
        """Count an incoming event by platform and kind (the core calls this for every event it handles)."""
        self.count_inbound(incoming.sender.platform, kind_of(incoming))

    async def render(self, database: Database) -> str:
        """The whole exposition; raises if the database cannot be read (the endpoint then answers 503)."""
        async with database.read() as session:
            by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            statuses: dict[str, int] = {status: count for status, count in await session.execute(by_status)}
            rounds = (await session.scalar(select(func.count()).select_from(Round))) or 0
        lines: list[str] = []
        lines += _header("icebreaker_messages", "gauge", "Outbox messages by delivery status, whole database.")
        known = [str(status) for status in OutboxStatus]
        for status in [*known, *sorted(set(statuses) - set(known))]:
            lines.append(_sample("icebreaker_messages", statuses.get(status, 0), status=status))
        lines += _header("icebreaker_rounds_total", "counter", "Matching rounds recorded, whole database.")
        lines.append(_sample("icebreaker_rounds_total", rounds))
        lines += _header("icebreaker_inbound_events_total", "counter", "Incoming events handled by this process.")
        for (platform, kind), count in sorted(self._inbound.items()):
            lines.append(_sample("icebreaker_inbound_events_total", count, platform=platform, kind=kind))
        lines += _header("icebreaker_adapter_connected", "gauge", "1 while this process's adapter is connected.")
        for platform, connected in sorted((await self._connections()).items()):
            lines.append(_sample("icebreaker_adapter_connected", int(connected), platform=platform))
        return "\n".join(lines) + "\n"

    async def _connections(self) -> dict[str, bool]:
        connected = dict(self._connected)
        for platform, check in self._checks.items():
            try:
                connected[platform] = bool(await check())
            except Exception:
                log.warning("connection check failed", exc_info=True, extra={"platform": platform})
                connected[platform] = False
        return connected


def install(http: HttpServer, metrics: Metrics, database: Database) -> None:
    """Serve ``GET /metrics`` on the project's HTTP server (call before ``http.start()``)."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await metrics.render(database)
        except Exception:
            log.warning("metrics scrape could not read the database", exc_info=True)
            return PlainTextResponse("database unavailable\n", status_code=503)
        return Response(body, media_type=CONTENT_TYPE)

    http.add_route(METRICS_PATH, endpoint, methods=["GET"])
