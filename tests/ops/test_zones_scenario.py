"""A campaign across zones and platforms, through one `icebreaker run` with Slack and Telegram stand-ins.

Members in London, Los Angeles, Tokyo and Auckland on both platforms join one London event (the Slack ones with
their zone in their Slack profile, the Telegram ones with /timezone), the organiser (on Slack) looks at the
campaign and the preview, and a manual clock walks the whole campaign: welcome, intros, reminders, follow-ups.
Slack pairs get group DMs; a Slack member and a Telegram member without a username write to each other through
the bot. Checked: the time each message was sent, against the waking hours of every person it went to; each
member's intros at 10:00 in their own zone; handles and step keys in Slack text exactly as they are.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, select

from adapters.runtime import Running, serve
from bot.campaign.timing import awake
from bot.clock import ManualClock
from bot.settings import Settings
from storage.database import Database
from storage.models import CampaignStep, Member, OutboxMessage, StepStatus
from tests.conftest import NOW
from tests.slack.signed import SECRET, Slack
from tests.slack.stand_in import TOKEN as SLACK_TOKEN
from tests.slack.stand_in import SlackStandIn, visible_text
from tests.telegram.stand_in import TOKEN as TELEGRAM_TOKEN
from tests.telegram.stand_in import StandIn, User

LONDON, LA, TOKYO, AUCKLAND = "Europe/London", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland"
ORGANISER = "UOSCAR01"
# Slack members: the zone is in their profile. (user id, name, zone, interest)
SLACK = [
    ("USAM0001", "Sam", LONDON, "Python"),
    ("UYUI0001", "Yui", TOKYO, "Python"),
    ("ULEE0001", "Lee", LA, "Data"),
    ("UARI0001", "Ari", AUCKLAND, "Data"),
    ("USOL0001", "Sol", LONDON, "Chess"),
    ("UADA0001", "Ada", AUCKLAND, "Jazz"),
]
# Telegram members: no zone from Telegram, so they say it. Lou has no username.
TELEGRAM = [
    (User(701, "Tess", username="tess_t"), LONDON, "Hiking"),
    (User(702, "Ken", username="ken_tokyo"), TOKYO, "Hiking"),
    (User(703, "Kiri", username="kiri_nz"), AUCKLAND, "Hiking"),
    (User(704, "Lou"), LA, "Chess"),
    (User(705, "Amir", username="amir_k"), TOKYO, "Jazz"),
]
CROSS = {"USOL0001", "UADA0001", 704, 705}  # who allows intros across platforms


async def _eventually(condition: Callable[[], bool], within: float = 20.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (state of other tasks, bounded)
            await asyncio.sleep(0.02)


class World:
    """The running process, both stand-ins and the people, with the few gestures the scenario needs."""

    def __init__(self, running: Running, slack_api: SlackStandIn, telegram: StandIn, clock: ManualClock) -> None:
        self.running, self.api, self.telegram, self.clock = running, slack_api, telegram, clock
        self.slack = Slack(f"http://127.0.0.1:{running.http.port}/slack/events")
        self.database: Database = running.core.database
        self.slack_adapter: Any = next(adapter for adapter in running.adapters if adapter.name == "slack")

    # Slack
    def dm_posts(self, user: str) -> list[dict[str, Any]]:
        dm = self.api.dm_of(user)
        return self.api.posts_to(dm) if dm else []

    async def slack_says(self, user: str, text: str) -> None:
        before = len(self.dm_posts(user))
        if text.startswith("/"):
            await self.slack.command(user, text.removeprefix("/"), channel=self.api.dm_of(user) or "D0")
        else:
            event = {"type": "message", "channel": self.api.dm_of(user), "channel_type": "im", "user": user}
            await self.slack.event({**event, "text": text})
        await _eventually(lambda: len(self.dm_posts(user)) > before)

    async def slack_press(self, user: str, label: str, *, text: str | None = None) -> None:
        """Press the button ``label`` on the newest message in the member's DM that has it (and ``text``)."""
        dm = self.api.dm_of(user)
        assert dm is not None
        for message in reversed(self.api.posts_to(dm)):
            if text is not None and text not in visible_text(message):
                continue
            for block in message.get("blocks") or []:
                for element in block.get("elements", []) if block["type"] == "actions" else []:
                    if element["text"]["text"].removeprefix("✅ ") == label:
                        response = await self.slack.press(
                            user, element["value"], channel=dm, ts=message["ts"], action_id=element["action_id"]
                        )
                        assert response.status_code == 200
                        await self.slack_adapter.idle()
                        return
        raise AssertionError(f"{user} has no button {label!r}")

    # Telegram
    async def telegram_says(self, user: User, text: str) -> None:
        before = len(self.telegram.bot_messages(user.id))
        self.telegram.queue(self.telegram.message_update(user, text))
        await _eventually(lambda: len(self.telegram.bot_messages(user.id)) > before)

    async def telegram_press(self, user: User, label: str) -> None:
        for message in reversed(self.telegram.bot_messages(user.id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if button["text"].removeprefix("✅ ") == label:
                    data = button["callback_data"]
                    update = self.telegram.callback_update(user, user.id, message["message_id"], data)
                    answered = update["callback_query"]["id"]
                    self.telegram.queue(update)
                    await _eventually(lambda: self.telegram.queries[answered])  # noqa: B023 (awaited here)
                    return
        raise AssertionError(f"{user.first_name} has no button {label!r}")

    # Time
    async def settle(self) -> None:
        """Until nothing due now is waiting: no step to fire, no message to send."""

        async def busy() -> int:
            now = self.clock.now()
            async with self.database.transaction() as session:
                steps = await session.scalar(
                    select(func.count())
                    .select_from(CampaignStep)
                    .where(CampaignStep.status == StepStatus.PENDING, CampaignStep.due_at <= now)
                )
                rows = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        ((OutboxMessage.status == "queued") & (OutboxMessage.not_before <= now))
                        | OutboxMessage.status.in_(["claimed", "sending"])
                    )
                )
            return int(steps or 0) + int(rows or 0)

        async with asyncio.timeout(30):
            while await busy():  # noqa: ASYNC110 (the state of the running process, bounded)
                await asyncio.sleep(0.05)

    async def next_moment(self) -> datetime | None:
        async with self.database.transaction() as session:
            step = await session.scalar(
                select(func.min(CampaignStep.due_at)).where(CampaignStep.status == StepStatus.PENDING)
            )
            queued = OutboxMessage.status == "queued"
            row = await session.scalar(select(func.min(OutboxMessage.not_before)).where(queued))
        moments = [moment for moment in (step, row) if moment is not None]
        return min(moments) if moments else None

    async def walk_until(self, until: datetime, between: Callable[[], Any] | None = None) -> None:
        """Move the clock from one due moment to the next, letting the process do its work each time."""
        while (upcoming := await self.next_moment()) is not None and upcoming <= until:
            self.clock.set(max(self.clock.now(), upcoming))
            await self.settle()
            if between is not None:
                await between()
        self.clock.set(max(self.clock.now(), until))
        await self.settle()


async def test_a_campaign_across_zones_and_platforms_sends_nothing_at_night(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zones.db'}"
    database = Database(url)
    await database.upgrade()
    await database.dispose()
    telegram, slack_api = StandIn(), SlackStandIn()
    await telegram.start()
    await slack_api.start()
    slack_api.add_user(ORGANISER, "Oscar", tz=LONDON)
    for user_id, name, zone, _ in SLACK:
        slack_api.add_user(user_id, name, tz=zone)
    for user, _, _ in TELEGRAM:
        telegram.add_user(user)
    settings = Settings(
        database_url=url,
        http_port=0,
        tick_seconds=0.2,
        telegram_token=SecretStr(TELEGRAM_TOKEN),
        telegram_api_url=telegram.api_url,
        slack_bot_token=SecretStr(SLACK_TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=slack_api.url,
    )
    clock = ManualClock(NOW)  # Monday 23 November 2026, 09:00 in London
    stop, started = asyncio.Event(), asyncio.Queue[Running]()
    server = asyncio.create_task(serve(settings, stop=stop, started=started, clock=clock))
    try:
        world = World(await asyncio.wait_for(started.get(), timeout=30), slack_api, telegram, clock)
        await _scenario(world)
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=30)
        await telegram.stop()
        await slack_api.stop()


async def _scenario(world: World) -> None:
    await world.slack_says(ORGANISER, '/newevent "Mixer" 2026-12-10 18:30 Europe/London')
    code = visible_text(world.dm_posts(ORGANISER)[-1]).split("Join code: ")[1].split()[0]
    await world.slack_says(ORGANISER, "/poll Python, Data, Hiking, Chess, Jazz")
    await world.slack_says(ORGANISER, "/schedule")
    schedule = world.dm_posts(ORGANISER)[-1]
    assert "interest_prompt" in [p.get("text") for p in _parts(schedule)]  # the step key, exactly

    for user_id, _, _, interest in SLACK:
        await world.slack_says(user_id, f"/join {code}")
        await world.slack_press(user_id, "Choose my interests")
        await world.slack_press(user_id, interest)
        await world.slack_press(user_id, "Done")
        if user_id in CROSS:
            await world.slack_says(user_id, "/crossplatform on")
    for user, zone, interest in TELEGRAM:
        await world.telegram_says(user, f"/join {code}")
        await world.telegram_press(user, "Choose my interests")
        await world.telegram_press(user, interest)
        await world.telegram_press(user, "Done")
        await world.telegram_says(user, f"/timezone {zone}")
        if user.id in CROSS:
            await world.telegram_says(user, "/crossplatform on")
    zones = await _zones(world)
    assert zones["Yui"] == TOKYO and zones["Ari"] == AUCKLAND and zones["Lee"] == LA  # from the Slack profiles

    await world.slack_says(ORGANISER, "/match")
    preview = visible_text(world.dm_posts(ORGANISER)[-1])
    assert "Sam + Yui" in preview and "Lee + Ari" in preview and "Sol + Lou" in preview and "Ada + Amir" in preview
    assert "One group conversation," in preview

    # The campaign, up to the day after the intros went out everywhere.
    await world.walk_until(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    await _intros_at_ten_local(world, zones)
    await _group_dms(world)
    await _handles_exact(world)

    # Sol (Slack, London, 12:00) writes to Lou (Telegram, no username, 04:00 in Los Angeles).
    await world.slack_press("USOL0001", "✉️ Message Lou")
    # as Slack sends it: "&", "<" and ">" as entities
    await world.slack_says("USOL0001", "Hi Lou! I'm @sol_s on Slack &amp; by the door &lt;18:15&gt;?")
    await world.slack_press("USOL0001", "Send it")
    assert "they'll get it at 08:00 their time" in visible_text(world.dm_posts("USOL0001")[-1])
    lou = next(user for user, _, _ in TELEGRAM if user.first_name == "Lou")

    def relayed() -> list[dict[str, Any]]:
        return [m for m in world.telegram.bot_messages(lou.id) if "sent you a message through me" in m["text"]]

    replied = False

    async def answer_when_it_arrives() -> None:
        nonlocal replied
        if relayed() and not replied:
            replied = True
            assert "Hi Lou! I'm @sol_s on Slack & by the door <18:15>?" in relayed()[-1]["text"]  # as typed
            await world.telegram_press(lou, "↩️ Reply to Sol")
            await world.telegram_says(lou, "Yes! 18:15 at the door.")
            await world.telegram_press(lou, "Send it")

    await world.walk_until(datetime(2026, 12, 19, tzinfo=UTC), answer_when_it_arrives)
    assert replied
    back = [visible_text(m) for m in world.dm_posts("USOL0001") if "sent you a message through me" in visible_text(m)]
    assert back and "Yes! 18:15 at the door." in back[-1]
    await _nothing_at_night(world, zones)


def _parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part
        for block in message.get("blocks") or []
        if block["type"] == "rich_text"
        for element in block["elements"]
        for part in element["elements"]
    ]


async def _zones(world: World) -> dict[str, str]:
    async with world.database.transaction() as session:
        return {m.display_name: m.time_zone or LONDON for m in (await session.scalars(select(Member))).all()}


async def _rows(world: World) -> list[tuple[OutboxMessage, list[Member]]]:
    async with world.database.transaction() as session:
        members = {(m.platform, m.platform_user_id): m for m in (await session.scalars(select(Member))).all()}
        # answers to what a member wrote go when they wrote; only what the bot sends unasked must wait for day
        unasked = (OutboxMessage.address_kind != "channel") & ~OutboxMessage.key.like("reply:%")
        rows = (await session.scalars(select(OutboxMessage).where(unasked))).all()
    return [(row, [members[(row.platform, user)] for user in row.address.split(",")]) for row in rows]


async def _intros_at_ten_local(world: World, zones: dict[str, str]) -> None:
    """Each member's own intro went out at 10:00 their time: Tokyo and Auckland on the 4th, not at 19:00."""
    seen = {}
    for row, [member] in [(r, m) for r, m in await _rows(world) if r.key.startswith("intro:") and len(m) == 1]:
        assert row.sent_at is not None
        seen[member.display_name] = row.sent_at.astimezone(ZoneInfo(zones[member.display_name])).strftime("%d %H:%M")
    assert seen == {
        "Tess": "03 10:00",
        "Ken": "04 10:00",
        "Kiri": "04 10:00",
        "Lou": "03 10:00",
        "Sol": "03 10:00",
        "Ada": "04 10:00",
        "Amir": "04 10:00",
    }


async def _group_dms(world: World) -> None:
    """Slack pairs got one group DM each, within both members' waking hours."""
    groups = {
        tuple(sorted(m.display_name for m in members)): row for row, members in await _rows(world)
        if row.address_kind == "group"
    }  # fmt: skip
    assert set(groups) == {("Sam", "Yui"), ("Ari", "Lee")}
    sam_yui = groups[("Sam", "Yui")].sent_at
    lee_ari = groups[("Ari", "Lee")].sent_at
    assert sam_yui == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 10:00 London, 19:00 Tokyo
    assert lee_ari == datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # 11:00 Los Angeles, 08:00 in Auckland
    for users in (["USAM0001", "UYUI0001"], ["ULEE0001", "UARI0001"]):
        channel = world.api.conversation(*users)
        assert channel is not None and channel.startswith("G")
        [intro] = world.api.posts_to(channel)
        assert all(f"<@{user}>" in visible_text(intro) for user in users)


async def _handles_exact(world: World) -> None:
    """Every handle shown in Slack is the member's real one, byte for byte; Lou, who has none, is reachable."""
    ada = next(m for m in world.dm_posts("UADA0001") if "Meet " in visible_text(m))
    link = next(p for p in _parts(ada) if p["type"] == "link")
    assert link == {"type": "link", "url": "https://t.me/amir_k", "text": "@amir_k"}
    assert "Amir is on Telegram as @amir_k (t.me/amir_k)" in visible_text(ada)
    sol = next(m for m in world.dm_posts("USOL0001") if "Meet " in visible_text(m))
    assert "Lou is on Telegram: send a first message through me" in visible_text(sol)
    everything = json.dumps([call.args for call in world.api.calls], ensure_ascii=False)
    assert not any(mark in everything for mark in "\u200b\u200c\u200d\u2060")


async def _nothing_at_night(world: World, zones: dict[str, str]) -> None:
    rows = await _rows(world)
    kinds = {row.key.split(":")[0] for row, _ in rows}
    assert {"intro", "step", "relay", "followup"} <= kinds, kinds
    for row, members in rows:
        assert row.status == "sent" and row.sent_at is not None, (row.key, row.status, row.error)
        for member in members:
            zone = zones[member.display_name]
            local = row.sent_at.astimezone(ZoneInfo(zone))
            assert awake(row.sent_at, zone), f"{row.key} reached {member.display_name} at {local:%a %H:%M} ({zone})"
