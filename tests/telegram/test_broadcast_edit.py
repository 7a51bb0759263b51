"""Telegram has no forms: a broadcast preview's Edit replaces the preview with the draft as a command to copy,
change and send again. Nothing was queued, and the old preview's buttons are gone with it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core import Core
from storage.models import OutboxMessage
from tests.telegram.conftest import Telegram, button_data, texts
from tests.telegram.stand_in import StandIn
from tests.telegram.test_conversation import OLIVIA, create_event


async def test_edit_shows_the_draft_as_a_command_to_copy(
    telegram: Telegram, stand_in: StandIn, sqlite_core: Core
) -> None:
    await create_event(telegram)
    [preview] = texts(await telegram.say(OLIVIA, "/broadcast to answered at 2026-12-09 09:00 Doors at 18:00"))
    assert preview.startswith("Preview of your broadcast")
    shown = stand_in.bot_messages(OLIVIA.id)[-1]
    send = button_data(shown, "Send")
    edited = texts(await telegram.press(OLIVIA, shown, "Edit"), "editMessageText")
    assert edited == [
        "Nothing was sent. Change this and send it again:\n/broadcast to answered at 2026-12-09 09:00 Doors at 18:00"
    ]
    assert "reply_markup" not in stand_in.bot_messages(OLIVIA.id)[-1]  # no Send left to press on it
    async with sqlite_core.database.transaction() as session:
        # nothing queued for the members (the organiser's own answers are kept in the outbox as they go)
        queued = ~OutboxMessage.key.like("reply:%")
        assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(queued)) == 0
    pressed = stand_in.callback_update(OLIVIA, OLIVIA.id, shown["message_id"], send)  # an old client's Send
    assert texts(await telegram.deliver(pressed)) == [
        "You chose Edit on that preview, so nothing was sent from it. Send the changed /broadcast."
    ]
