"""`icebreaker run` as composed for production: both adapters, campaign, delivery, health, metrics and logs.

A Telegram organiser and a Slack member meet through one running process (stand-ins of both platforms on port 0);
then the whole DEBUG log of the scenario is searched for the tokens and the signing secret.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from adapters.logs import configure_logging, secrets_from
from adapters.runtime import Running, serve
from bot.settings import Settings
from storage.database import Database
from tests.slack.signed import SECRET, Slack
from tests.slack.stand_in import TOKEN as SLACK_TOKEN
from tests.slack.stand_in import SlackStandIn
from tests.telegram.conftest import button_data
from tests.telegram.stand_in import TOKEN as TELEGRAM_TOKEN
from tests.telegram.stand_in import StandIn, User


class TickingClock:
    """Real time, as if it had started at ``start``."""

    def __init__(self, start: datetime) -> None:
        self.start, self.began = start, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


async def _eventually(condition: object, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110 (state of other tasks, bounded)
            await asyncio.sleep(0.02)


async def test_a_cross_platform_scenario_through_run_logs_no_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    database = Database(url)
    await database.upgrade()
    await database.dispose()
    telegram, slack_api = StandIn(), SlackStandIn()
    await telegram.start()
    await slack_api.start()
    slack_api.add_user("U0SLACK1", "Sam Slack", email="sam@example.com")
    settings = Settings(
        database_url=url,
        http_port=0,
        tick_seconds=0.2,
        log_level="DEBUG",
        telegram_token=SecretStr(TELEGRAM_TOKEN),
        telegram_api_url=telegram.api_url,
        slack_bot_token=SecretStr(SLACK_TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=slack_api.url,
    )
    log = io.StringIO()
    configure_logging("DEBUG", log, secrets=secrets_from(settings))
    stop, started = asyncio.Event(), asyncio.Queue[Running]()
    # Midday in London, ticking in real time: messages to members wait for their waking hours, so the wall
    # clock's hour must not decide whether the broadcast arrives within the test.
    clock = TickingClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    server = asyncio.create_task(serve(settings, stop=stop, started=started, clock=clock))
    try:
        running = await asyncio.wait_for(started.get(), timeout=30)
        olivia = User(4242, "Olivia", username="olivia")
        telegram.queue(telegram.message_update(olivia, '/newevent "Mixer" 2026-12-10 18:30 Europe/London'))
        await _eventually(lambda: any("Join code" in m.get("text", "") for m in telegram.bot_messages(4242)))
        code = next(m["text"] for m in telegram.bot_messages(4242) if "Join code" in m.get("text", ""))
        code = code.split("Join code: ")[1].split()[0]
        slack = Slack(f"http://127.0.0.1:{running.http.port}/slack/events")
        assert (await slack.command("U0SLACK1", f"join {code}")).status_code == 200
        await _eventually(lambda: any("Welcome to" in str(c) for c in slack_api.calls_to("chat.postMessage")))
        telegram.queue(telegram.message_update(olivia, "/broadcast Doors open at 18:00"))
        await _eventually(lambda: any("Preview" in m.get("text", "") for m in telegram.bot_messages(4242)))
        preview = next(m for m in telegram.bot_messages(4242) if "Preview" in m.get("text", ""))
        send = button_data(preview, "Send")
        telegram.queue(telegram.callback_update(olivia, preview["chat"]["id"], preview["message_id"], send))
        await _eventually(lambda: any("Doors open" in str(c) for c in slack_api.calls_to("chat.postMessage")))
        await _eventually(lambda: any("finished" in m.get("text", "") for m in telegram.bot_messages(4242)))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}") as client:
            health = await client.get("/healthz")
            metrics = (await client.get("/metrics")).text
        assert health.status_code == 200 and health.json()["ok"] is True
        assert 'icebreaker_messages{status="sent"} ' in metrics
        assert 'icebreaker_inbound_events_total{platform="slack",kind="command"} 1' in metrics
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=30)
        await telegram.stop()
        await slack_api.stop()
        logging.getLogger().handlers.clear()
    text = log.getvalue()
    assert text.count("\n") > 20 and "sendMessage" in text  # a real DEBUG log, with the Bot API calls
    assert "***" in text  # where a token would have been
    for secret in (TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], SLACK_TOKEN, SECRET):
        assert secret not in text
