"""/timezone reads zone names whatever their case, accepts GMT like UTC, suggests the zone of a city, and says
what a reversed Etc/GMT name means."""

from __future__ import annotations

from sqlalchemy import select

from bot.core import Core
from storage.models import Member
from tests.fakes import Talk, person

SUE = person("Sue")


async def _zone(core: Core) -> str | None:
    async with core.database.transaction() as session:
        return (await session.scalars(select(Member.time_zone).where(Member.platform_user_id == "sue"))).one()


async def test_zone_names_are_read_kindly(talk: Talk, core: Core, code: str) -> None:
    await talk.say(SUE, f"/join {code}")
    assert "Your time zone is now Europe/London" in await talk.say(SUE, "/timezone europe/london")
    assert await _zone(core) == "Europe/London"
    assert "Your time zone is now GMT" in await talk.say(SUE, "/timezone GMT")
    assert "Your time zone is now UTC" in await talk.say(SUE, "/timezone utc")
    refused = await talk.say(SUE, "/timezone London")
    assert "is not a time zone I know. Did you mean Europe/London?" in refused
    assert await _zone(core) == "UTC"  # a refusal changes nothing
    assert "Did you mean Asia/Tokyo?" in await talk.say(SUE, "/timezone Tokio")
    assert "Did you mean" not in await talk.say(SUE, "/timezone " + "x" * 5000)
    assert "not a time zone I know" in await talk.say(SUE, "/timezone EST")  # an abbreviation, not a place
    reply = await talk.say(SUE, "/timezone etc/gmt+5")
    assert "Your time zone is now Etc/GMT+5 (Etc/GMT+5 means UTC−5" in reply
    assert await _zone(core) == "Etc/GMT+5"
