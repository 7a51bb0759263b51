"""Files on outgoing messages through slack_sdk's files_upload_v2 into the member's DM, against the stand-in."""

from __future__ import annotations

import io

from PIL import Image

from bot.messages import Address, Attachment, MessageBuilder
from tests.slack.conftest import Harness

ORGANISER = "UORG0001"


async def test_stats_posts_the_numbers_and_uploads_the_chart_into_the_dm(slack: Harness) -> None:
    slack.api.add_user(ORGANISER, "Olivia")
    await slack.slack.command(ORGANISER, 'newevent "Tech Mixer" 2026-12-10 18:30 Europe/London')
    await slack.settle()
    await slack.slack.command(ORGANISER, "stats")
    await slack.settle()
    dm = slack.api.dm_of(ORGANISER)
    assert dm is not None
    assert "Joined: 0" in slack.api.posts_to(dm)[-1]["text"]
    [chart] = slack.api.files_in(dm)
    assert chart["filename"].endswith(".png") and chart["title"] == "The funnel and the interest poll"
    assert Image.open(io.BytesIO(chart["data"])).size == (900, 450)
    [asked] = slack.api.calls_to("files.getUploadURLExternal")
    assert int(asked["length"]) == len(chart["data"])


async def test_an_upload_that_fails_leaves_the_sent_text_delivered(slack: Harness) -> None:
    slack.api.add_user(ORGANISER, "Olivia")
    slack.api.fail_next("files.completeUploadExternal", "internal_error", status=500)
    message = (
        MessageBuilder()
        .line("Your meeting")
        .build(attachments=(Attachment("meeting.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n"),))
    )
    delivered = await slack.adapter.send(Address("slack", ORGANISER), message)
    assert delivered.chat_id == slack.api.dm_of(ORGANISER)
    assert [p["text"] for p in slack.api.posts_to(delivered.chat_id)] == ["Your meeting"]
    assert slack.api.files_in(delivered.chat_id) == []
