"""What the Bot API accepts, as pure checks: each returns Telegram's complaint, or None when it is fine."""

from __future__ import annotations

import re
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ENTITY_TYPES = {"mention", "url", "bold", "italic", "code", "pre", "text_link", "text_mention", "underline"}
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def units(text: str) -> int:
    """Telegram's length: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def text_problem(text: Any, limit: int = TEXT_LIMIT) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return "message text is empty"
    if units(text) > limit:
        return "message is too long"
    return None


def entities_problem(text: str, entities: Any) -> str | None:
    if entities is None:
        return None
    length = units(text)
    for entity in entities:
        offset, size = entity.get("offset"), entity.get("length")
        if entity.get("type") not in ENTITY_TYPES:
            return f"can't parse entities: unsupported type {entity.get('type')!r}"
        if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size < 1:
            return "can't parse entities: bad offset or length"
        if offset + size > length:
            return f"can't parse entities: entity ends at {offset + size} > {length}"
        if entity["type"] == "text_mention" and not isinstance(entity.get("user", {}).get("id"), int):
            return "can't parse entities: text_mention without a user id"
    return None


def markup_problem(markup: Any) -> str | None:
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or sum(len(row) for row in rows) > 100:
        return "reply markup is not an inline keyboard of at most 100 buttons"
    for row in rows:
        if not isinstance(row, list) or not 1 <= len(row) <= 8:
            return "BUTTON_ROW_INVALID"
        for button in row:
            if not str(button.get("text", "")).strip():
                return "text buttons are unallowed in the inline keyboard"
            if len([k for k in ("callback_data", "url") if k in button]) != 1:
                return "BUTTON_TYPE_INVALID"
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                return "BUTTON_DATA_INVALID"
            if "url" in button and not str(button["url"]).startswith(("https://", "http://", "tg://")):
                return "BUTTON_URL_INVALID"
    return None


def commands_problem(commands: Any) -> str | None:
    if not isinstance(commands, list) or len(commands) > 100:
        return "commands must be a list of at most 100"
    for command in commands:
        if not COMMAND.fullmatch(str(command.get("command", ""))):
            return f"BOT_COMMAND_INVALID: {command.get('command')!r}"
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            return "BOT_COMMAND_DESCRIPTION_INVALID"
    return None


def webhook_problem(url: Any, secret: Any) -> str | None:
    if not str(url).startswith("https://"):
        return "bad webhook: An HTTPS URL must be provided for webhook"
    if secret is not None and not SECRET.fullmatch(str(secret)):
        return "secret token contains unallowed characters"
    return None
