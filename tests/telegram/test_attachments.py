"""Files on outgoing messages through the real PTB adapter: the stats chart as a photo, anything else a document."""

from __future__ import annotations

import io

from PIL import Image

from bot.messages import Address, Attachment, MessageBuilder
from tests.telegram.conftest import Telegram, texts
from tests.telegram.stand_in import User

OLIVIA = User(100, "Olivia", "Organiser", username="olivia_org")


async def test_stats_replies_with_the_numbers_then_the_chart_as_a_photo(telegram: Telegram) -> None:
    await telegram.say(OLIVIA, '/newevent "Tech Mixer" 2026-12-10 18:30 Europe/London')
    await telegram.say(OLIVIA, "/poll Python, Hiking, Jazz")
    calls = await telegram.say(OLIVIA, "/stats")
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    assert "Joined: 0" in texts(calls)[0]
    photo = calls[1]
    assert photo.status == 200 and photo.chat_id == OLIVIA.id
    [upload] = photo.files.values()
    assert Image.open(io.BytesIO(upload)).size == (900, 450)
    assert photo.params["caption"] == "The funnel and the interest poll"
    assert not telegram.stand_in.violations


async def test_a_file_that_is_not_an_image_goes_as_a_document(telegram: Telegram) -> None:
    await telegram.say(OLIVIA, "/help")  # the bot can write only to someone who wrote to it
    before = len(telegram.stand_in.calls)
    calendar = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message = (
        MessageBuilder()
        .line("Your meeting")
        .build(attachments=(Attachment("meeting.ics", "text/calendar", calendar, "Add it to your calendar"),))
    )
    delivered = await telegram.adapter.send(Address("telegram", str(OLIVIA.id)), message)
    methods = [c.method for c in telegram.stand_in.calls[before:] if c.method.startswith("send")]
    assert methods == ["sendMessage", "sendDocument"]
    document = telegram.stand_in.calls[-1]
    assert list(document.files.values()) == [calendar] and document.status == 200
    assert delivered.message_id == str(telegram.stand_in.bot_messages(OLIVIA.id)[-2]["message_id"])  # the text's id


async def test_a_failed_upload_does_not_fail_the_message_whose_text_went(telegram: Telegram) -> None:
    """Raising would make the outbox send the text a second time; the chart is best effort, like the QR code."""
    await telegram.say(OLIVIA, "/help")
    message = MessageBuilder().line("Numbers").build(attachments=(Attachment("c.png", "image/png", b"not a png"),))
    delivered = await telegram.adapter.send(Address("telegram", str(OLIVIA.id)), message)
    photo = telegram.stand_in.calls[-1]
    assert photo.method == "sendPhoto" and photo.status == 400
    assert delivered.chat_id == str(OLIVIA.id)
