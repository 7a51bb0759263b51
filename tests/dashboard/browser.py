"""Playwright driving Debian's Chromium (browser downloads are impossible here, so it is launched by path),
and where screenshots go: ``test-artefacts/dashboard/`` (``ICEBREAKER_ARTEFACTS`` moves it; gitignored)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = os.environ.get("ICEBREAKER_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(os.environ.get("ICEBREAKER_ARTEFACTS", Path(__file__).parents[2] / "test-artefacts")) / "dashboard"
INSTALLED = Path(CHROMIUM).exists()
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000  # the machine is shared: a page may take seconds to answer, which is not a failure here
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not INSTALLED:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is not at {CHROMIUM}: CI installs it (apt-get install -y chromium)")
        pytest.skip(f"Chromium is not at {CHROMIUM} (apt-get install -y chromium; CI=true makes this a failure)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            await launched.close()


async def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot, kept as a test artefact."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


def chat_numbers(text: str) -> dict[str, str]:
    """The figures of the chat's ``stats`` text, by name."""
    patterns = {
        "joined": r"Joined: (\d+)",
        "still_in": r"still in: (\d+)",
        "left": r"left: (\d+)",
        "answered": r"Answered the poll: (\d+)",
        "paused": r"Paused: (\d+)",
        "unreachable": r"unreachable: (\d+)",
        "rsvp_yes": r"Still coming: (\d+) yes",
        "rsvp_no": r"(\d+) no  ·",
        "rsvp_unknown": r"(\d+) not answered",
        "matched": r"Matched: (\d+)",
        "said_hi": r"said hi: (\d+)",
        "met": r"met: (\d+)",
        "rating": r"average rating: ([^\n]+)",
        "attended": r"Attended: (\d+)",
        "missed": r"couldn't make it: (\d+)",
    }
    found = {}
    for key, pattern in patterns.items():
        match = re.search(pattern, text)
        assert match, f"{key} not in {text!r}"
        found[key] = match.group(1).strip()
    for label, number in re.findall(r"• (.+): (\d+)", text):
        found[f"interest:{label}"] = number
    return found
