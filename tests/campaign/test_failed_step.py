"""A step that fails is not lost in a log: the organisers are told which one, and what to do instead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.campaign import steps
from bot.campaign.runner import CampaignRunner
from bot.campaign.steps import StepRun
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.models import CampaignStep
from tests.campaign.test_campaign import _setup
from tests.fakes import RecordingPlatform, Talk


async def _solver_died(run: StepRun) -> str:  # what a crashed matching process looks like to the runner
    raise RuntimeError("A process in the process pool was terminated abruptly")


async def test_a_failed_intros_step_tells_the_organiser_once(
    talk: Talk, core: Core, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _setup(talk)
    monkeypatch.setitem(steps.HANDLERS, "intros", _solver_died)
    runner = CampaignRunner(core.database, clock, Policy())
    clock.set(datetime(2026, 12, 3, 10, 1, tzinfo=UTC))  # the intros step is due
    fired = await runner.run_due()
    assert any(line.startswith("intros: failed: RuntimeError") for line in fired), fired
    assert await runner.run_due() == []  # skipped, not retried for ever
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    [note] = [t for t in platform.texts_to("olivia") if "could not go out" in t]
    assert "Introductions for HR Tweetup London could not go out, so I skipped it." in note
    assert "Run /match now to make the introductions by hand." in note
    async with core.database.transaction() as session:
        step = await session.scalar(select(CampaignStep).where(CampaignStep.key == "intros"))
    assert step is not None and step.status == "skipped"
