"""The organiser's CSV import and the App Home buttons, on the real core."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import Harness
from tests.slack.stand_in import live_markup, visible_text

ORGANISER, ADA, BOB = "UORG0001", "UADA0001", "UBOB0001"


def text_of(message: dict[str, Any]) -> str:
    return visible_text(message)


async def create_event(slack: Harness) -> str:
    slack.api.add_user(ORGANISER, "Olivia")
    await slack.slack.command(ORGANISER, 'newevent "Tweetup" 2026-12-10 18:30 Europe/London')
    await slack.settle()
    dm = slack.api.dm_of(ORGANISER)
    assert dm is not None
    created = text_of(slack.api.posts_to(dm)[-1])
    return created.split("Join code: ")[1].split()[0]


async def test_csv_import_invites_the_people_it_finds(slack: Harness) -> None:
    api = slack.api
    code = await create_event(slack)
    api.add_user(ADA, "Ada", email="ada@example.com")
    api.add_user(BOB, "Bob", email="Bob@Example.com")
    await slack.slack.command(ORGANISER, "import")
    await slack.settle()
    assert api.calls_to("views.open")[-1]["view"]["callback_id"] == "import"

    rows = ["name,email", "Ada Lovelace,ada@example.com", "Bob,bob@example.com"]
    rows += [f"Nobody {i} <!here>,nobody{i}@example.com" for i in range(43)]
    api.fail_next("users.lookupByEmail", "ratelimited", status=429, retry_after=0)
    response = await slack.slack.submit(ORGANISER, "import", {"csv": {"value": "\n".join(rows)}})
    assert response.status_code == 200 and response.text == ""
    await slack.settle(within=15)

    assert len(api.calls_to("users.lookupByEmail", ok=None)) == 45 + 1  # one 429, waited out and retried
    for user in (ADA, BOB):
        dm = api.dm_of(user)
        assert dm is not None
        [invitation] = api.posts_to(dm)
        assert code in text_of(invitation) and f"/icebreaker join {code}" in text_of(invitation)
    organiser_dm = api.dm_of(ORGANISER)
    assert organiser_dm is not None
    progress = api.posts_to(organiser_dm)[-1]
    updates = [c["text"] for c in api.calls_to("chat.update") if c["ts"] == progress["ts"]]
    assert updates[:2] == ["Importing 45 rows: looked up 20 of 45…", "Importing 45 rows: looked up 40 of 45…"]
    report = text_of(progress)
    assert "looked up 45 of 45" in report and "Invited: 2" in report and "not found: 43" in report
    assert "Nobody 0 <!here> <nobody0@example.com>" in report and "…and 13 more." in report  # literal text
    assert not [found for call in api.calls for found in live_markup(call.args)]  # never markup that notifies


async def test_only_organisers_can_import(slack: Harness) -> None:
    api = slack.api
    api.add_user(ADA, "Ada", email="ada@example.com")
    await slack.slack.submit(ADA, "import", {"csv": {"value": "Ada,ada@example.com"}})
    await slack.settle()
    assert api.calls_to("users.lookupByEmail") == []
    dm = api.dm_of(ADA)
    assert dm is not None and "haven't joined any event" in text_of(api.posts_to(dm)[-1])


async def test_an_empty_import_keeps_the_modal_open_with_an_error(slack: Harness) -> None:
    response = await slack.slack.submit(ORGANISER, "import", {"csv": {"value": "name,email\n"}})
    assert response.json() == {"response_action": "errors", "errors": {"csv": "Paste at least one row: name,email"}}


async def test_home_buttons_pause_resume_and_open_the_modals(slack: Harness) -> None:
    api = slack.api
    code = await create_event(slack)
    api.add_user(ADA, "Ada")
    await slack.slack.command(ADA, f"join {code}")
    await slack.settle()
    await slack.slack.press_home(ADA, "home.pause")
    await slack.settle()
    dm = api.dm_of(ADA)
    assert dm is not None and "Paused" in text_of(api.posts_to(dm)[-1])
    assert "Status: paused" in json.dumps(api.calls_to("views.publish")[-1]["view"])
    await slack.slack.press_home(ADA, "home.resume")
    await slack.settle()
    assert "Welcome back" in text_of(api.posts_to(dm)[-1])
    assert "Status: active" in json.dumps(api.calls_to("views.publish")[-1]["view"])
    for button, modal in (("home.newevent", "newevent"), ("home.poll", "poll"), ("home.broadcast", "broadcast")):
        await slack.slack.press_home(ORGANISER, button)
        await slack.settle()
        view = api.calls_to("views.open")[-1]["view"]
        assert view["callback_id"] == modal and view["type"] == "modal"
    zone = api.calls_to("views.open")[0]["view"]["blocks"][3]["element"]["initial_value"]
    assert zone == "Europe/London"  # the organiser's Slack time zone, from users.info


async def test_bare_newevent_poll_and_broadcast_open_their_modals(slack: Harness) -> None:
    for name in ("newevent", "poll", "broadcast"):
        await slack.slack.command(ORGANISER, name)
    await slack.settle()
    assert [c["view"]["callback_id"] for c in slack.api.calls_to("views.open")] == ["newevent", "poll", "broadcast"]
    assert slack.api.calls_to("chat.postMessage") == []
