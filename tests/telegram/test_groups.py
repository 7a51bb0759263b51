"""Telegram groups: answers go back to the forum topic a command came from; a forwarded command is not one."""

from __future__ import annotations

from tests.telegram.conftest import Telegram, texts
from tests.telegram.stand_in import StandIn, User

OLIVIA = User(101, "Olivia", "Organiser", username="olivia")
FORUM = {"id": -1003, "type": "supergroup", "title": "Mixer forum", "is_forum": True}


async def test_the_answer_goes_to_the_topic_the_command_came_from(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(OLIVIA)
    data = stand_in.message_update(OLIVIA, "/help", FORUM)
    data["message"] |= {"message_thread_id": 42, "is_topic_message": True}
    calls = [c for c in await telegram.deliver(data) if c.method == "sendMessage"]
    assert calls and all(c.params.get("message_thread_id") == 42 for c in calls)  # was: the General topic
    general = [c for c in await telegram.say(OLIVIA, "/help", FORUM) if c.method == "sendMessage"]
    assert general and all("message_thread_id" not in c.params for c in general)


async def test_a_forwarded_command_does_nothing(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(OLIVIA)
    data = stand_in.message_update(OLIVIA, '/newevent "Forwarded" 2026-12-10 18:30 Europe/London')
    data["message"]["forward_origin"] = {"type": "hidden_user", "date": 1, "sender_user_name": "Someone"}
    answered = texts(await telegram.deliver(data))
    assert answered == ["I answer to commands. Send /help to see them."]  # text, not an event created


GROUP = {"id": -1004, "type": "supergroup", "title": "Mixer chat"}


async def test_in_a_group_only_commands_meant_for_the_bot_are_answered(telegram: Telegram, stand_in: StandIn) -> None:
    stand_in.add_user(OLIVIA)
    ours = telegram.adapter.application.bot.username
    assert texts(await telegram.say(OLIVIA, "/foo", GROUP)) == []  # was: "I don't know the command “foo”…"
    assert texts(await telegram.say(OLIVIA, "/help@OtherBot", GROUP)) == []
    assert texts(await telegram.say(OLIVIA, "/foo@OtherBot", GROUP)) == []
    assert texts(await telegram.say(OLIVIA, "/help", GROUP))  # a command of ours, bare
    assert texts(await telegram.say(OLIVIA, f"/help@{ours}", GROUP))
    [unknown] = texts(await telegram.say(OLIVIA, f"/foo@{ours}", GROUP))
    assert unknown == "I don't know the command “foo”. Send /help to see what I can do."


async def test_in_a_private_chat_an_unknown_command_gets_the_friendly_answer(
    telegram: Telegram, stand_in: StandIn
) -> None:
    stand_in.add_user(OLIVIA)
    [unknown] = texts(await telegram.say(OLIVIA, "/foo"))
    assert unknown == "I don't know the command “foo”. Send /help to see what I can do."
