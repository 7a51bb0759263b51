"""Telegram updates as neutral incoming events. Pure: no I/O, no decisions beyond what Telegram means."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from telegram import Chat as TelegramChat
from telegram import Message as TelegramMessage
from telegram import Update
from telegram import User as TelegramUser

from bot.messages import Button, ButtonPress, Chat, Command, FreeText, Incoming, Sender

PLATFORM = "telegram"
# "/name", "/name@SomeBot", then the arguments after any whitespace (newlines kept: /broadcast is multi-line).
COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?", re.DOTALL)


def sender_of(user: TelegramUser) -> Sender:
    return Sender(PLATFORM, str(user.id), user.full_name, user.username, user.language_code)


def chat_of(chat: TelegramChat) -> Chat:
    kind: Literal["private", "group"] = "private" if chat.type == TelegramChat.PRIVATE else "group"
    return Chat(str(chat.id), kind, chat.title)


def translate(update: Update, bot_username: str | None, known: Collection[str]) -> Incoming | None:
    """The neutral event for ``update``, or None when it is not meant for the bot.

    Ignored: edits, channel posts, messages from bots, non-text messages, commands addressed to another bot
    (``/help@OtherBot``), and in groups any text that is not a command (the bot only answers commands there).
    In a group a bare command the bot does not know (``/foo``, not in ``known``) is ignored too: it may be
    another bot's; addressed to this bot (``/foo@ThisBot``) it gets the friendly "unknown command" answer.
    A forwarded message is never a command: in a private chat it is text, in a group it is ignored.
    """
    if update.callback_query is not None:
        query = update.callback_query
        if query.data is None or query.from_user.is_bot:
            return None
        action, value = Button.parse(query.data)
        message = query.message
        chat = chat_of(message.chat) if message is not None else None
        return ButtonPress(sender_of(query.from_user), action, value, chat)
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    return _from_message(message, message.from_user, bot_username, known)


def _from_message(
    message: TelegramMessage, user: TelegramUser, bot_username: str | None, known: Collection[str]
) -> Incoming | None:
    text = message.text
    if text is None:
        return None
    sender, chat = sender_of(user), chat_of(message.chat)
    found = COMMAND.fullmatch(text)
    if found is None or message.forward_origin is not None:  # a forwarded "/cmd" is someone else's words
        return FreeText(sender, text, chat) if chat.kind == "private" else None
    name, addressee, args = found.group(1), found.group(2), found.group(3) or ""
    if addressee is not None and (bot_username is None or addressee.casefold() != bot_username.casefold()):
        return None
    if chat.kind == "group" and addressee is None and name.lower() not in known:
        return None  # "/foo" in a group may be meant for another bot there: not ours to refuse
    return Command(sender, name.lower(), args.strip(), chat)


def topic_of(update: Update) -> int | None:
    """The forum topic an update was written in (its ``message_thread_id``), so answers go back there."""
    message = update.callback_query.message if update.callback_query is not None else update.message
    if isinstance(message, TelegramMessage) and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None
