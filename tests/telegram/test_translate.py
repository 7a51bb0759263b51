"""Translation (pure): real PTB Update objects, parsed from the stand-in's JSON, into neutral events."""

from __future__ import annotations

from typing import Any

from telegram import Update

from adapters.telegram.translate import topic_of, translate
from bot.commands.registry import build_router
from bot.messages import ButtonPress, Chat, Command, FreeText, Sender
from tests.telegram.stand_in import BOT, StandIn, User

ANN = User(201, "Ann", "Able", username="ann_able", language_code="fr")
BOT_NAME = str(BOT["username"])
KNOWN = build_router().commands.keys()  # the real vocabulary


def update(data: dict[str, Any]) -> Update:
    return Update.de_json(data, None)


def say(text: str, chat: dict[str, Any] | None = None, user: User = ANN) -> Any:
    return translate(update(StandIn().message_update(user, text, chat)), BOT_NAME, KNOWN)


def test_deep_link_start_is_a_command_with_the_code() -> None:
    assert say("/start HR7K2Q") == Command(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "start", "HR7K2Q", Chat("201", "private", None)
    )


def test_commands_addressed_to_this_bot_or_none() -> None:
    assert isinstance(say("/help"), Command)
    assert say(f"/help@{BOT_NAME}") == say("/help")
    assert say("/HELP@ICEBREAKER_TEST_BOT") == say("/help")  # Telegram usernames are case-insensitive
    assert say("/help@SomeOtherBot") is None


def test_arguments_keep_their_lines() -> None:
    command = say("/broadcast Doors open at 18:00.\nBring a friend!")
    assert isinstance(command, Command) and command.args == "Doors open at 18:00.\nBring a friend!"
    assert say("/broadcast\nOne\nTwo") == Command(command.sender, "broadcast", "One\nTwo", command.chat)


def test_free_text_in_private_only() -> None:
    assert say("Tech Mixer") == FreeText(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "Tech Mixer", Chat("201")
    )
    assert say("/usr/bin is a path") == FreeText(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "/usr/bin is a path", Chat("201")
    )
    group = {"id": -1001, "type": "supergroup", "title": "Mixer chat"}
    assert say("hello everyone", group) is None
    assert say("/link HR7K2Q", group) == Command(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "link", "HR7K2Q", Chat("-1001", "group", "Mixer chat")
    )


def test_button_press() -> None:
    stand_in = StandIn()
    stand_in.add_user(ANN)
    sent = stand_in._new_message(stand_in.chats[ANN.id], text="Pick")
    press = stand_in.callback_update(ANN, ANN.id, sent["message_id"], "pick:12.1")
    assert translate(update(press), BOT_NAME, KNOWN) == ButtonPress(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "pick", "12.1", Chat("201")
    )


def test_ignored_updates() -> None:
    stand_in = StandIn()
    robot = User(999, "Robot")
    data = stand_in.message_update(robot, "/start")
    data["message"]["from"]["is_bot"] = True
    assert translate(update(data), BOT_NAME, KNOWN) is None
    edited = stand_in.message_update(ANN, "/start")
    edited["edited_message"] = edited.pop("message")
    assert translate(update(edited), BOT_NAME, KNOWN) is None
    sticker = stand_in.message_update(ANN, "")
    del sticker["message"]["text"]
    assert translate(update(sticker), BOT_NAME, KNOWN) is None


def test_a_forwarded_command_is_not_a_command() -> None:
    stand_in = StandIn()
    data = stand_in.message_update(ANN, "/broadcast hello everyone")
    data["message"]["forward_origin"] = {"type": "hidden_user", "date": 1, "sender_user_name": "Someone"}
    assert translate(update(data), BOT_NAME, KNOWN) == FreeText(
        Sender("telegram", "201", "Ann Able", "ann_able", "fr"), "/broadcast hello everyone", Chat("201")
    )
    group = {"id": -1001, "type": "supergroup", "title": "Mixer chat"}
    data = stand_in.message_update(ANN, "/link HR7K2Q", group)
    data["message"]["forward_origin"] = {"type": "hidden_user", "date": 1, "sender_user_name": "Someone"}
    assert translate(update(data), BOT_NAME, KNOWN) is None


def test_the_forum_topic_of_an_update() -> None:
    stand_in = StandIn()
    forum = {"id": -1002, "type": "supergroup", "title": "Mixer forum", "is_forum": True}
    data = stand_in.message_update(ANN, "/help", forum)
    assert topic_of(update(data)) is None  # the General topic
    data["message"] |= {"message_thread_id": 7, "is_topic_message": True}
    assert topic_of(update(data)) == 7
