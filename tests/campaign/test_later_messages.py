"""Every later message respects what members said and did (issue 11): a "Can't make it" RSVP means no "look
out for your match" and no "did you meet?"; a member who left is neither messaged nor named afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress
from tests.campaign.test_campaign import _setup
from tests.core.test_rounds import _members_answer
from tests.fakes import RecordingPlatform, Talk, person

BOB, CAROL = person("Bob"), person("Carol")


async def test_cant_make_it_and_leaving_are_respected_by_every_later_step(
    talk: Talk, core: Core, clock: ManualClock
) -> None:
    code = await _setup(talk)
    await _members_answer(talk, code, {"Alice": ["Python"], "Bob": ["Python"], "Carol": ["Hiking"], "Dan": ["Hiking"]})
    runner = CampaignRunner(core.database, clock, Policy())
    platform = RecordingPlatform()
    delivery = Delivery(core.database, {"console": platform}, clock)

    async def until(moment: datetime) -> None:
        while clock.now() < moment:
            clock.advance(timedelta(minutes=30))
            await runner.run_due()
            await delivery.run_once()

    await until(datetime(2026, 12, 9, 11, 0, tzinfo=UTC))  # intros, say_hi, and the reminder with its RSVP
    assert any("Meet Bob" in t for t in platform.texts_to("alice"))
    assert any("Meet Carol" in t for t in platform.texts_to("dan"))
    [reminder] = [m for a, m in platform.sent if a.user_id == "bob" and "Still coming?" in m.plain_text()]
    [no] = [b for row in reminder.buttons for b in row if b.label == "Can't make it"]
    await core.handle(ButtonPress(BOB, no.action, no.value))
    await talk.say(CAROL, "/leave")
    await talk.press(CAROL, "Leave")
    before = len(platform.sent)
    await until(datetime(2026, 12, 12, 12, 0, tzinfo=UTC))  # lookout, followup
    later = [(a.user_id, m.plain_text()) for a, m in platform.sent[before:]]
    assert not [t for who, t in later if who in ("bob", "carol")], later  # was: "Look out for…", "Did you meet…"
    assert not [t for _, t in later if "Bob" in t or "Carol" in t], later  # and nobody is told to look for them
    assert any("Did you make it" in t for who, t in later if who == "alice")  # the others still hear
    assert not [t for _, t in later if "Look out for !" in t or "Did you meet  at" in t]  # never an empty name
