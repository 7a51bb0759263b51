"""One `icebreaker run` replica for the multi-process inbound tests: Telegram in webhook mode, on a stand-in.

Usage: python -m tests.workers.inbound_replica DATABASE_URL TELEGRAM_API_URL
Prints ``port N`` once it serves; runs until SIGTERM (graceful) or SIGKILL.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import SecretStr

from adapters.runtime import Running, serve
from bot.settings import Settings
from tests.telegram.stand_in import TOKEN

WEBHOOK_URL = "https://bot.example.test/telegram/webhook"
SECRET = "replica-webhook-secret"


async def main(database_url: str, api_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        http_port=0,
        tick_seconds=0.5,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=api_url,
        telegram_webhook_url=WEBHOOK_URL,
        telegram_webhook_secret=SecretStr(SECRET),
    )
    started: asyncio.Queue[Running] = asyncio.Queue()
    server = asyncio.create_task(serve(settings, started=started))
    running = await started.get()
    print(f"port {running.http.port}", flush=True)
    await server
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
