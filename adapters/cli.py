"""The ``icebreaker`` command: the composition root that builds settings, database, core and adapters."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from adapters import dashboard
from adapters.console import ConsolePlatform, Shell
from adapters.http import HttpServer
from adapters.logs import configure_logging, secrets_from
from adapters.schema import ready_schema
from bot.campaign.runner import CampaignRunner
from bot.clock import SystemClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.services.dashboard.service import Dashboard
from bot.services.dashboard.signin import DashboardLinks, signing_key
from bot.settings import Settings, SettingsError, load_settings
from storage.database import Database, SchemaOutdated

NO_ADAPTER = (
    "icebreaker run: no platform configured; set ICEBREAKER_TELEGRAM_TOKEN, or ICEBREAKER_SLACK_BOT_TOKEN with "
    "ICEBREAKER_SLACK_APP_TOKEN (Socket Mode) or ICEBREAKER_SLACK_SIGNING_SECRET (HTTP); or try "
    "`icebreaker shell` or `icebreaker demo` without them."
)


ENV_DATABASE = ("ICEBREAKER_DATABASE_URL", "ICEBREAKER_LOG_LEVEL")
ENV_SHELL = (
    "ICEBREAKER_DATABASE_URL",
    "ICEBREAKER_ORGANISERS",
    "ICEBREAKER_HTTP_HOST",
    "ICEBREAKER_HTTP_PORT",
    "ICEBREAKER_PUBLIC_URL",
    "ICEBREAKER_SECRET_KEY",
)
ENV_RUN = (
    *ENV_SHELL,
    "ICEBREAKER_LOG_LEVEL",
    "ICEBREAKER_TICK_SECONDS",
    "ICEBREAKER_TELEGRAM_TOKEN",
    "ICEBREAKER_TELEGRAM_API_URL",
    "ICEBREAKER_TELEGRAM_WEBHOOK_URL",
    "ICEBREAKER_TELEGRAM_WEBHOOK_SECRET",
    "ICEBREAKER_SLACK_BOT_TOKEN",
    "ICEBREAKER_SLACK_SIGNING_SECRET",
    "ICEBREAKER_SLACK_APP_TOKEN",
    "ICEBREAKER_SLACK_API_URL",
)


def _environment(names: Sequence[str], note: str = "") -> str:
    """The environment variables a subcommand reads, for its --help (each documented in the README)."""
    return "environment variables read:\n  " + "\n  ".join(names) + (f"\n\n{note}" if note else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="icebreaker", description="Networking icebreaker chat bot.")
    commands = parser.add_subparsers(dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    default_db = "The default database, sqlite:///icebreaker.db, is created or upgraded on start-up."
    shell = commands.add_parser(
        "shell",
        help="chat with the bot in this terminal",
        description="Chat with the bot in this terminal, as several people (/as NAME switches).",
        epilog=_environment(ENV_SHELL, default_db),
        formatter_class=raw,
    )
    shell.add_argument("--as", dest="user", default="organiser", help="who you are at first (default: organiser)")
    db = commands.add_parser(
        "db",
        help="database schema",
        description="Upgrade the database schema to the current revision, or show the current one.",
        epilog=_environment(ENV_DATABASE),
        formatter_class=raw,
    )
    db.add_argument("action", choices=["upgrade", "current"], help="upgrade: migrate; current: show the revision")
    demo = commands.add_parser(
        "demo",
        help="run a whole simulated event in the terminal",
        description="Run a whole simulated event in the terminal, on a moved clock.",
        epilog="The demo reads no environment variable (its own database and clock): its options are above.",
        formatter_class=raw,
    )
    demo.add_argument("--seed", type=int, default=7, help="the simulation's random seed (default: 7)")
    demo.add_argument("--attendees", type=int, default=30, help="how many simulated members (default: 30)")
    demo.add_argument("--holdout", type=int, default=0, help="hold out this percent (5–50) and plant an effect")
    demo.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    commands.add_parser(
        "run",
        help="start every configured platform adapter",
        description="Start every configured platform adapter (Telegram, Slack), the campaign and the dashboard.",
        epilog=_environment(ENV_RUN, default_db),
        formatter_class=raw,
    )
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("run", "db"):
        configure_logging(settings.log_level, secrets=secrets_from(settings))
    else:  # the shell and the demo talk to a person: keep their terminal for the conversation
        logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "db":
            return asyncio.run(_db(settings, args.action))
        if args.command == "shell":
            return asyncio.run(_shell(settings, args.user))
        if args.command == "demo":
            from adapters.demo import run_demo

            return asyncio.run(
                run_demo(seed=args.seed, attendees=args.attendees, database_url=args.database_url, holdout=args.holdout)
            )
        return _run(settings)
    except SchemaOutdated as error:
        print(error, file=sys.stderr)
        return 2


async def _db(settings: Settings, action: str) -> int:
    database = Database(settings.database_url)
    try:
        if action == "upgrade":
            await database.upgrade()
        print(f"Database schema at revision {await database.current_revision()}.")
    finally:
        await database.dispose()
    return 0


async def _shell(settings: Settings, user: str) -> int:
    database = Database(settings.database_url)
    try:
        await ready_schema(settings, database)
        console = ConsolePlatform(ansi=sys.stdout.isatty())
        clock = SystemClock()
        delivery = Delivery(database, {console.name: console}, clock)
        await delivery.recover()
        policy = Policy(settings.organisers)
        http, links = await _shell_dashboard(settings, database, clock)
        core = Core(database, clock, policy, links=links)
        campaign = CampaignRunner(database, clock, policy)
        shell = Shell(core, delivery, console, user=user, echo=not sys.stdin.isatty(), campaign=campaign)
        try:
            await shell.run(sys.stdin)
        finally:
            if links is not None:
                await http.stop()
    finally:
        await database.dispose()
    return 0


async def _shell_dashboard(
    settings: Settings, database: Database, clock: SystemClock
) -> tuple[HttpServer, DashboardLinks | None]:
    """The shell serves the dashboard too, on ICEBREAKER_HTTP_HOST/PORT, so /dashboard can be tried there.
    A busy port is not a reason to refuse the shell: it says so, and /dashboard explains."""
    http = HttpServer(settings.http_host, settings.http_port)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    links = DashboardLinks(
        await signing_key(secret, database, clock), lambda: settings.public_url or dashboard.local_url(http)
    )
    dashboard.build(settings, Dashboard(database, clock, links), http)
    try:
        await http.start()
    except OSError as error:
        print(f"(The dashboard is not served: {settings.http_host}:{settings.http_port} is busy: {error.strerror}.)")
        return http, None
    print(f"Dashboard: {dashboard.local_url(http)}{dashboard.PREFIX}/ — send /dashboard for a sign-in link.")
    return http, links


def _run(settings: Settings) -> int:
    if settings.telegram_token is None and settings.slack_bot_token is None:
        print(NO_ADAPTER, file=sys.stderr)
        return 1
    from adapters.runtime import CannotListen, PlatformUnreachable, serve

    try:
        asyncio.run(serve(settings))
    except (PlatformUnreachable, CannotListen) as error:
        print(error, file=sys.stderr)
        return 1
    except SettingsError as error:  # a platform's settings that only make sense together (Slack's HTTP mode)
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
