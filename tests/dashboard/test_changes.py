"""Changing an event from the dashboard: the campaign's steps and broadcasts, each previewed and confirmed;
every refusal is a clear sentence and changes nothing; delivery reports count each outcome."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.delivery import Delivery
from bot.errors import PermanentDeliveryError, RecipientUnreachable, UserError
from bot.services.dashboard.broadcasts import Draft
from bot.services.dashboard.service import Dashboard, Viewer
from bot.services.dashboard.signin import LinkRefused
from storage import outbox
from storage.models import CampaignStep, Member, OutboxMessage, OutboxStatus
from tests.dashboard.conftest import OLIVIA, Site, csrf_of, sign_in
from tests.fakes import RecordingPlatform, snapshot


async def olivia(site: Site) -> tuple[Dashboard, Viewer, int]:
    event_id = await site.event_id(await site.seed())
    async with site.database.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.platform_user_id == "olivia"))).one()
    return Dashboard(site.database, site.clock, site.links), Viewer(member.id, "Olivia", "console"), event_id


@pytest.mark.parametrize(
    ("key", "action", "offset", "at", "refusal"),
    [
        ("reminder", "move", "-400", "10:00", "whole number of days"),
        ("reminder", "move", "two", "10:00", "whole number of days"),
        ("reminder", "move", "-1", "25:00", "time"),
        ("reminder", "move", "-1", "9am", "time"),
        ("reminder", "move", "-30", "10:00", "already passed"),
        ("reminder", "move", "2", "09:00", "before it starts"),  # a pre-event step after the event
        ("intros", "move", "0", "19:00", "before it starts"),
        ("followup", "move", "0", "09:00", "after it starts"),  # "did you meet?" before the event
        ("lookout", "move", "-1", "10:00", "not tied to a day"),
        ("nosuchstep", "off", "", "", "no step called"),
        ("reminder", "explode", "", "", "move the step, or to turn it off or on"),
    ],
)
async def test_a_step_change_that_makes_no_sense_is_refused(
    site: Site, key: str, action: str, offset: str, at: str, refusal: str
) -> None:
    service, viewer, event_id = await olivia(site)
    before = await snapshot(site.database)
    with pytest.raises(UserError, match=refusal):
        await service.propose_step_change(viewer, event_id, key, action, offset, at)
    assert await snapshot(site.database) == before


async def test_a_step_that_changed_since_it_was_shown_is_not_changed(site: Site) -> None:
    service, viewer, event_id = await olivia(site)
    pending = await service.propose_step_change(viewer, event_id, "reminder", "move", "-2", "18:00")
    assert "from Wed 09 Dec" not in (await site.talk.say(OLIVIA, "/schedule move reminder -3 12:00"))  # chat moved it
    with pytest.raises(UserError, match="changed since you looked"):
        await service.confirm_step_change(viewer, event_id, pending.token)
    async with site.database.transaction() as session:
        step = await session.scalar(select(CampaignStep).where(CampaignStep.key == "reminder"))
        assert step is not None and (step.day_offset, step.local_time) == (-3, "12:00")


async def test_a_step_turned_off_is_skipped_by_the_campaign_and_can_be_turned_on(
    site: Site, clock: ManualClock
) -> None:
    service, viewer, event_id = await olivia(site)
    for action in ("off", "on", "off"):
        pending = await service.propose_step_change(viewer, event_id, "welcome", action)
        change = await service.confirm_step_change(viewer, event_id, pending.token)
        assert change.action == action
    _, steps = await service.campaign(viewer, event_id)
    assert {s.key: s.status for s in steps}["welcome"] == "off"
    with pytest.raises(LinkRefused, match="already confirmed"):
        await service.confirm_step_change(viewer, event_id, pending.token)
    clock.advance(timedelta(days=4))
    await CampaignRunner(site.database, clock, Policy()).run_due()
    async with site.database.transaction() as session:
        welcome = await session.scalar(select(CampaignStep).where(CampaignStep.key == "welcome"))
        assert welcome is not None and welcome.status == "pending" and not welcome.enabled  # never fired


@pytest.mark.parametrize(
    ("draft", "refusal"),
    [
        (Draft(text="   "), "Write the message first"),
        (Draft(text="x" * 3001), "at most 3000 characters; yours has 3001"),
        (Draft(text="Hi", audience="nobody"), "not an audience I know"),
        (Draft(text="Hi", audience="answerd"), "not an audience I know"),
        (Draft(text="Hi", audience="interest:Knitting"), "no interest called “Knitting”"),
        (Draft(text="Hi", date="2026-12-05"), "both a date and a time"),
        (Draft(text="Hi", time="09:00"), "both a date and a time"),
        (Draft(text="Hi", date="tomorrow", time="09:00"), "date"),
        (Draft(text="Hi", date="2026-12-05", time="9am"), "time"),
        (Draft(text="Hi", date="2026-11-01", time="09:00"), "already passed"),
    ],
)
async def test_a_broadcast_draft_that_cannot_go_is_refused_before_anything_is_written(
    site: Site, draft: Draft, refusal: str
) -> None:
    service, viewer, event_id = await olivia(site)
    before = await snapshot(site.database)
    with pytest.raises(UserError, match=refusal):
        await service.preview_broadcast(viewer, event_id, draft)
    assert await snapshot(site.database) == before


async def test_the_compose_form_keeps_the_draft_and_says_what_is_wrong(site: Site) -> None:
    event_id = await site.event_id(await site.seed())
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client)
        csrf = csrf_of((await client.get("/dashboard/")).text)
        answer = await client.post(
            f"/dashboard/events/{event_id}/broadcasts/preview",
            data={"csrf": csrf, "text": "<script>alert(1)</script> see you", "audience": "all", "date": "2026-12-05"},
        )
    assert answer.status_code == 400
    assert "both a date and a time" in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; see you</textarea>" in answer.text  # kept, and escaped
    assert "<script>alert" not in answer.text


async def test_preview_counts_who_it_reaches_and_confirming_queues_exactly_them(site: Site) -> None:
    service, viewer, event_id = await olivia(site)
    pending = await service.preview_broadcast(viewer, event_id, Draft(text="Hello!", audience="rsvp-yes"))
    assert pending.preview.recipients == 4 and pending.preview.when is None  # Ben, Cat, Eve, Fay said yes
    sent = await service.confirm_broadcast(viewer, event_id, pending.token)
    assert (sent.recipients, sent.queued) == (4, 5)  # and the organiser's progress message
    async with site.database.transaction() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id == sent.broadcast_id))
        ).all()
    assert sorted(r.address for r in rows) == ["ben", "cat", "eve", "fay", "olivia"]


async def test_a_scheduled_broadcast_goes_out_at_its_time_unless_cancelled(site: Site, clock: ManualClock) -> None:
    service, viewer, event_id = await olivia(site)
    kept = await service.preview_broadcast(viewer, event_id, Draft("Tomorrow!", "all", "2026-11-24", "10:00"))
    dropped = await service.preview_broadcast(viewer, event_id, Draft("Never", "all", "2026-11-24", "11:00"))
    first = await service.confirm_broadcast(viewer, event_id, kept.token)
    second = await service.confirm_broadcast(viewer, event_id, dropped.token)
    await service.cancel_broadcast(viewer, event_id, second.broadcast_id)
    with pytest.raises(UserError, match="nothing to cancel"):
        await service.cancel_broadcast(viewer, event_id, second.broadcast_id)
    page = await service.broadcasts(viewer, event_id)
    assert {b.id: b.state for b in page.broadcasts} == {
        first.broadcast_id: "scheduled",
        second.broadcast_id: "cancelled",
    }
    clock.advance(timedelta(days=1, hours=3))
    await CampaignRunner(site.database, clock, Policy()).run_due()
    page = await service.broadcasts(viewer, event_id)
    states = {b.id: (b.state, b.report.waiting) for b in page.broadcasts}
    assert states == {first.broadcast_id: ("sending", 8), second.broadcast_id: ("cancelled", 0)}  # 8 active others
    with pytest.raises(UserError, match="nothing to cancel"):
        await service.cancel_broadcast(viewer, event_id, first.broadcast_id)


async def test_each_delivery_report_counts_delivered_unreachable_failed_and_uncertain(site: Site) -> None:
    service, viewer, event_id = await olivia(site)
    platform = RecordingPlatform()
    await Delivery(site.database, {"console": platform}, site.clock).run_once()  # what the seeding queued
    pending = await service.preview_broadcast(viewer, event_id, Draft(text="Doors at six", audience="answered"))
    sent = await service.confirm_broadcast(viewer, event_id, pending.token)
    assert sent.recipients == 7  # the eight who answered, less Hal, who left
    platform.failures = {"ben": [RecipientUnreachable("blocked")], "cat": [PermanentDeliveryError("bad request")]}
    async with site.database.transaction() as session:  # Dev's send was under way when the process died
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == sent.broadcast_id, OutboxMessage.address == "dev")
            .values(status=OutboxStatus.SENDING, lease_until=site.clock.now() - timedelta(minutes=1))
        )
        await outbox.recover(session, site.clock.now(), expired_only=True)
    await Delivery(site.database, {"console": platform}, site.clock).run_once()
    [report] = [b for b in (await service.broadcasts(viewer, event_id)).broadcasts if b.id == sent.broadcast_id]
    assert report.state == "finished"
    assert (report.report.delivered, report.report.unreachable, report.report.failed, report.report.uncertain) == (
        4, 1, 1, 1
    )  # fmt: skip
    assert report.report.waiting == 0


async def test_a_refusal_quotes_a_step_title_once_and_says_what_became_of_it(site: Site) -> None:
    service, viewer, event_id = await olivia(site)
    with pytest.raises(UserError) as before:  # the title is a quotation itself
        await service.propose_step_change(viewer, event_id, "followup", "move", "0", "09:00")
    assert "“Did you meet?” and feedback is about the event itself" in before.value.message
    async with site.database.transaction() as session:
        await session.execute(update(CampaignStep).where(CampaignStep.key == "reminder").values(status="skipped"))
    with pytest.raises(UserError) as skipped:
        await service.propose_step_change(viewer, event_id, "reminder", "off", "", "")
    assert skipped.value.message.startswith("“Reminder with RSVP” was skipped: only steps still to come")
