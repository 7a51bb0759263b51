"""The dashboard in a real browser (Chromium through Playwright): an organiser signs in through the link,
sees the same numbers as the chat's ``stats``, filters the attendees, moves a step, composes a broadcast,
sees the preview, confirms it and finds it queued. A screenshot of each page is kept (tests/dashboard/browser.py)."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select

from storage.models import Broadcast, CampaignStep, OutboxMessage, OutboxStatus
from tests.dashboard.browser import PHONE, chat_numbers, shoot
from tests.dashboard.conftest import OLIVIA, Site


async def numbers_on(page: Page, table: str) -> dict[str, str]:
    rows = page.locator(f"table#{table} tbody tr")
    found = {}
    for index in range(await rows.count()):
        row = rows.nth(index)
        found[await row.get_attribute("data-label") or ""] = await row.locator(".number").inner_text()
    return found


async def test_an_organiser_signs_in_reads_filters_moves_and_broadcasts(site: Site, browser: Browser) -> None:
    code = await site.seed()
    event_id = await site.event_id(code)
    chat = chat_numbers(await site.talk.say(OLIVIA, "/stats"))
    page = await browser.new_page(viewport={"width": 1280, "height": 900})

    # The link from the chat shows a button; pressing it signs in and lands on the events.
    await page.goto(await site.link())
    await expect(page.get_by_role("heading", name="Sign in to your dashboard")).to_be_visible()
    await shoot(page, "01-sign-in")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Your events")).to_be_visible()
    line = await page.locator("ul.events li").first.inner_text()
    assert f"{chat['joined']} joined" in line and f"{chat['attended']} attended" in line
    await shoot(page, "02-events")

    # The event's page: the funnel, the poll and the RSVPs are the chat's numbers.
    await page.get_by_role("link", name="Tech Mixer").click()
    await expect(page.locator("table#funnel")).to_be_visible()
    funnel = await numbers_on(page, "funnel")
    assert funnel == {
        "Joined": chat["joined"],
        "Answered": chat["answered"],
        "Matched": chat["matched"],
        "Said hi": chat["said_hi"],
        "Met": chat["met"],
        "Attended": chat["attended"],
    }
    poll = await numbers_on(page, "poll")
    assert poll == {key.removeprefix("interest:"): value for key, value in chat.items() if key.startswith("interest:")}
    rsvps = await numbers_on(page, "rsvps")
    assert rsvps == {"Coming": chat["rsvp_yes"], "Not coming": chat["rsvp_no"], "No answer": chat["rsvp_unknown"]}
    figures = {
        key: await page.locator(f"#figures dd[data-key={key}]").inner_text()
        for key in ("still_in", "left", "paused", "unreachable", "missed", "rating")
    }
    assert figures == {key: chat[key] for key in figures}
    await expect(page.locator("details.round table tbody tr")).to_have_count(4)  # 9 matched: 4 groups, a trio
    assert "Shared: Python" in await page.locator("details.round").inner_text()
    await shoot(page, "03-event")

    # Attendees: filters (applied as each choice changes), search, and the count.
    await page.get_by_role("link", name="Attendees").click()
    await expect(page.locator("#count")).to_contain_text("Showing 10 of 10")
    await page.wait_for_load_state("load")
    await shoot(page, "04-attendees")
    await page.get_by_label("Status").select_option("active")
    await expect(page.locator("#count")).to_contain_text("Showing 8 of 10")  # not Hal (left), not Jo (paused)
    # The filter reloaded the page: its deferred script must have wired the next select before we change it
    # (on a loaded machine the change came first and was lost: "Showing 8 of 10" stayed).
    await page.wait_for_load_state("load")
    await page.get_by_label("Interest").select_option("Python")
    await expect(page.locator("#count")).to_contain_text("Showing 4 of 10")
    await page.wait_for_load_state("load")
    names = await page.locator("table#attendees tbody th").all_inner_texts()
    assert [name.split()[0] for name in names] == ["Ann", "Ben", "Dev", "Fay"]
    await page.get_by_label("Met their match").select_option("yes")
    await page.get_by_label("Search by name or handle").fill("a")
    await page.get_by_role("button", name="Apply").click()
    await expect(page).to_have_url(
        f"{site.url}/dashboard/events/{event_id}/attendees?q=a&status=active&interest=Python&rsvp=&met=yes"
    )
    await shoot(page, "05-attendees-filtered")

    # The campaign: move the reminder, with a confirmation first.
    await page.get_by_role("link", name="Campaign").click()
    await expect(page.locator("ol.timeline li")).to_have_count(8)
    await shoot(page, "06-campaign")
    reminder = page.locator("li[data-key=reminder]")
    await reminder.get_by_text("Change this step").click()
    await reminder.get_by_label("Day (from the event: -1 is the day before)").fill("-2")
    await reminder.get_by_label("Time").fill("18:00")
    await reminder.get_by_role("button", name="Review the move").click()
    await expect(page.locator("#confirm")).to_contain_text("from Wed 09 Dec 2026, 10:00 to Tue 08 Dec 2026, 18:00")
    await shoot(page, "07-campaign-confirm")
    await page.get_by_role("button", name="Yes, move it").click()
    await expect(page.locator(".notice")).to_contain_text("Moved “Reminder with RSVP” to Tue 08 Dec 2026, 18:00")
    async with site.database.transaction() as session:
        step = await session.scalar(select(CampaignStep).where(CampaignStep.key == "reminder"))
        assert step is not None and (step.day_offset, step.local_time) == (-2, "18:00")

    # A broadcast: compose, preview (what members see, how many), confirm, find it queued.
    await page.get_by_role("link", name="Broadcasts").click()
    await page.get_by_label("Message").fill("Doors open at 18:00.\nBring <b>a badge</b>!")
    await page.get_by_label("To").select_option("interest:Python")
    await page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    await expect(preview.locator("[data-key=recipients]")).to_have_text("4")  # Ann, Ben, Dev, Fay
    bubble = await page.locator("#as-seen").inner_text()
    assert "Bring <b>a badge</b>!" in bubble and "Tech Mixer" in bubble  # the markup is shown as typed
    assert await page.locator("#as-seen b").count() == 0
    async with site.database.transaction() as session:
        broadcasts = select(func.count()).select_from(Broadcast).where(~Broadcast.audience.startswith("round:"))
        assert await session.scalar(broadcasts) == 0  # nothing before Send (a round's delivery report is no broadcast)
    await shoot(page, "08-broadcast-preview")
    await page.get_by_role("button", name="Send to 4 members").click()
    await expect(page.locator(".notice")).to_contain_text("Queued for 4 recipients")
    sent = page.locator("li.broadcast").first
    await expect(sent).to_have_attribute("data-state", "sending")
    await expect(sent.locator("dd[data-key=waiting]")).to_have_text("4")
    async with site.database.transaction() as session:
        of_broadcasts = (
            select(OutboxMessage)
            .join(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
            .where(~Broadcast.audience.startswith("round:"))
        )
        queued = (await session.scalars(of_broadcasts)).all()
    assert sorted(row.address for row in queued) == ["ann", "ben", "dev", "fay", "olivia"]  # and her progress
    assert {row.status for row in queued} == {OutboxStatus.QUEUED}

    # One for later, then cancelled.
    await page.get_by_label("Message").fill("Reminder: tomorrow!")
    await page.get_by_label("Date (empty: now)").fill("2026-12-09")
    await page.get_by_label("Time").fill("09:30")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#reach")).to_contain_text("Wed 09 Dec 2026, 09:30")
    await page.get_by_role("button", name="Schedule it").click()
    scheduled = page.locator("li.broadcast").first
    await expect(scheduled).to_have_attribute("data-state", "scheduled")
    await shoot(page, "09-broadcasts")
    await scheduled.get_by_role("button", name="Cancel the broadcast scheduled for Wed 09 Dec 2026, 09:30").click()
    await expect(page.locator("li.broadcast").first).to_have_attribute("data-state", "cancelled")

    # On a phone.
    phone = await browser.new_page(viewport=PHONE, storage_state=await page.context.storage_state())
    await phone.goto(f"{site.url}/dashboard/events/{event_id}")
    await shoot(phone, "10-phone-event")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing sticks out sideways
    await phone.goto(f"{site.url}/dashboard/events/{event_id}/attendees")
    await shoot(phone, "11-phone-attendees")
    await phone.goto(f"{site.url}/dashboard/events/{event_id}/broadcasts")
    await shoot(phone, "12-phone-broadcasts")
    await phone.close()

    # Sign out: the page says so, and the cookie no longer opens anything.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    response = await page.goto(f"{site.url}/dashboard/")
    assert response is not None and response.status == 401
    await shoot(page, "13-signed-out")


async def test_the_keyboard_reaches_everything_and_every_field_has_a_label(site: Site, browser: Browser) -> None:
    event_id = await site.event_id(await site.seed())
    page = await browser.new_page()
    await page.goto(await site.link())
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(10):  # tab to the button and press it with the keyboard alone
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.textContent.trim()") == "Sign in":
            break
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Your events")).to_be_visible()
    for path in ("attendees", "campaign", "broadcasts"):
        await page.goto(f"{site.url}/dashboard/events/{event_id}/{path}")
        await page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
        fields = await page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                  .map(e => (e.labels && e.labels.length ? e.labels[0].textContent.trim() : ''))"""
        )
        assert fields and all(fields), (path, fields)
