"""End to end over long polling: the real core on SQLite, the real PTB Application, the Bot API stand-in.

An organiser creates an event and a poll and invites; three members join by deep link and answer the poll
(edited in place); a broadcast and a round of introductions go out through the outbox; members answer.
"""

from __future__ import annotations

import re
from typing import Any

from bot.clock import ManualClock
from bot.core import Core
from bot.delivery import Delivery
from tests.telegram.conftest import Telegram, button_data, texts
from tests.telegram.rules import units
from tests.telegram.stand_in import BOT, StandIn, User

OLIVIA = User(100, "Olivia", "Organiser", username="olivia_org")
MEMBERS = [
    User(201, "Ann", "Able", username="ann_able"),
    User(202, "Ben", None, username=None, language_code="de"),
    User(203, "Cat", "Cole", username="cat_cole"),
]
CHOICES = {201: ["Python", "Jazz"], 202: ["Hiking"], 203: ["Python", "Hiking"]}


async def create_event(telegram: Telegram) -> str:
    created = texts(await telegram.say(OLIVIA, '/newevent "Tech Mixer" 2026-12-10 18:30 Europe/London'))
    assert len(created) == 1 and "Created Tech Mixer" in created[0]
    code = re.search(r"Join code: ([A-Z0-9]+)", created[0])
    assert code is not None
    polled = texts(await telegram.say(OLIVIA, "/poll Python, Hiking, Jazz"))
    assert "3 options" in polled[0]
    return code.group(1)


async def join_and_answer(telegram: Telegram, member: User, code: str) -> None:
    stand_in = telegram.stand_in
    welcome = texts(await telegram.say(member, f"/start {code}"))
    assert "Welcome to Tech Mixer" in welcome[0]
    [welcome_message] = stand_in.bot_messages(member.id)
    opened = await telegram.press(member, welcome_message, "Choose my interests")
    assert [c.method for c in opened] == ["sendMessage", "answerCallbackQuery"]
    keyboard = stand_in.bot_messages(member.id)[-1]
    assert "What are you into?" in keyboard["text"]
    first = CHOICES[member.id][0]
    stale = button_data(keyboard, first)  # the data before the edit: a double tap sends it twice
    for _ in range(2):
        update = stand_in.callback_update(member, member.id, keyboard["message_id"], stale)
        calls = await telegram.deliver(update)
        assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
        assert calls[-1].status == 200
    assert calls[0].status == 400 and "not modified" in (calls[0].error or "")  # the harmless second press
    for label in CHOICES[member.id][1:]:
        await telegram.press(member, stand_in.bot_messages(member.id)[-1], label)
    keyboard = stand_in.bot_messages(member.id)[-1]
    marked = [b["text"] for row in keyboard["reply_markup"]["inline_keyboard"] for b in row if "✅" in b["text"]]
    assert marked == [f"✅ {label}" for label in ["Python", "Hiking", "Jazz"] if label in CHOICES[member.id]]
    assert f"{len(CHOICES[member.id])} selected" in keyboard["text"]
    await telegram.press(member, keyboard, "Done")
    saved = stand_in.bot_messages(member.id)[-1]
    assert saved["message_id"] == keyboard["message_id"]  # edited in place
    assert saved["text"].startswith("✅ Saved: ") and "reply_markup" not in saved


async def test_event_from_creation_to_a_round(
    telegram: Telegram, sqlite_core: Core, clock: ManualClock, stand_in: StandIn
) -> None:
    code = await create_event(telegram)

    invite = await telegram.say(OLIVIA, "/invite")
    link = f"https://t.me/{BOT['username']}?start={code}"
    [invitation] = [c for c in invite if c.method == "sendMessage"]
    assert link in invitation.params["text"]
    assert [link] == [b.get("url") for row in invitation.params["reply_markup"]["inline_keyboard"] for b in row]
    [photo] = [c for c in invite if c.method == "sendPhoto"]
    assert photo.status == 200 and photo.chat_id == OLIVIA.id

    for member in MEMBERS:
        await join_and_answer(telegram, member, code)

    assert texts(await telegram.broadcast(OLIVIA, "Doors open at 18:00.\nBring a friend!")) == []
    delivery = Delivery(sqlite_core.database, {"telegram": telegram.adapter}, clock)
    report = await delivery.run_once()
    assert (report["sent"], report["failed"], report["unreachable"]) == (4, 0, 0), report  # 3 members + the progress
    for member in MEMBERS:
        received = stand_in.bot_messages(member.id)[-1]
        assert received["text"] == "📣 Tech Mixer — from Olivia Organiser\nDoors open at 18:00.\nBring a friend!"
        assert [e["type"] for e in received["entities"]] == ["bold", "italic"]
    progress = stand_in.bot_messages(OLIVIA.id)[-1]  # sent through the outbox, then edited through the port
    assert progress["text"].startswith("📣 Broadcast for Tech Mixer finished.\nDelivered: 3 ")
    assert stand_in.calls_of("editMessageText", OLIVIA.id)[-1].params["message_id"] == progress["message_id"]

    await run_a_round(telegram, delivery)
    assert_every_call_valid(stand_in, {OLIVIA.id, *(m.id for m in MEMBERS)})


def named_in(message: dict[str, Any]) -> set[int]:
    """Who an intro names: ``@handle`` for members with a username, a text mention (by id) for the others."""
    handles = {f"@{m.username}": m.id for m in MEMBERS if m.username}
    named = {user_id for handle, user_id in handles.items() if handle in message["text"]}
    return named | {e["user"]["id"] for e in message.get("entities", []) if e["type"] == "text_mention"}


async def run_a_round(telegram: Telegram, delivery: Delivery) -> None:
    """/match now: one intro each, naming the others in the group; then said hi, the follow-up and a rating."""
    stand_in = telegram.stand_in
    started = texts(await telegram.match_now(OLIVIA))
    assert started[0].startswith("Round 1 of Tech Mixer is on its way")
    assert (await delivery.run_once())["sent"] == len(MEMBERS) + 1  # and the organiser's delivery report
    report = stand_in.bot_messages(OLIVIA.id)[-1]  # sent, then edited to the final count
    assert f"Sent: {len(MEMBERS)}  ·  unreachable: 0  ·  failed: 0  ·  uncertain: 0" in report["text"]
    intros = {m.id: [x for x in stand_in.bot_messages(m.id) if x["text"].startswith("👋 Meet ")] for m in MEMBERS}
    assert all(len(found) == 1 for found in intros.values()), "one intro each"
    groups = {frozenset({user_id, *named_in(found[0])}) for user_id, found in intros.items()}
    assert all(user_id not in named_in(found[0]) for user_id, found in intros.items())
    assert set().union(*groups) == {m.id for m in MEMBERS}  # everyone is in exactly one group of 2+
    assert sum(len(group) for group in groups) == len(MEMBERS) and all(len(group) >= 2 for group in groups)

    for member in MEMBERS:
        intro = intros[member.id][0]
        thanked = texts(await telegram.press(member, intro, "Said hi 👋"))
        assert len(thanked) == 1 and thanked[0].startswith("Lovely! I've noted that you said hi to ")
        assert texts(await telegram.press(member, intro, "Said hi 👋")) == ["Already noted: you said hi. 👋"]

    [question] = texts(await telegram.say(OLIVIA, "/followup"))  # before the event: asked first
    assert question.startswith("Tech Mixer hasn't happened yet")
    asked = texts(await telegram.press(OLIVIA, stand_in.bot_messages(OLIVIA.id)[-1], "Yes, ask now"))
    assert asked == [f"Asked {len(MEMBERS)} members whether they met."]
    assert (await delivery.run_once())["sent"] == len(MEMBERS)
    for member in MEMBERS:
        question = stand_in.bot_messages(member.id)[-1]
        assert question["text"].startswith("Did you meet ")
        assert texts(await telegram.press(member, question, "Yes 🎉")) == ["Great! How was it? (optional)"]
        rating = stand_in.bot_messages(member.id)[-1]
        assert texts(await telegram.press(member, rating, "⭐⭐⭐⭐⭐")) == ["Thank you! Noted ⭐⭐⭐⭐⭐."]


def assert_every_call_valid(stand_in: StandIn, chats: set[int]) -> None:
    """What the stand-in validated, plus the shapes Telegram would accept, across the whole conversation."""
    assert stand_in.violations == []
    failed = [c for c in stand_in.calls if c.status != 200]
    assert all(c.method == "editMessageText" and "not modified" in (c.error or "") for c in failed)
    assert all(stand_in.queries.values()), "every button press was answered"
    for call in stand_in.calls:
        params: dict[str, Any] = call.params
        assert "parse_mode" not in params
        if call.method in {"sendMessage", "sendPhoto", "editMessageText"}:
            assert params["chat_id"] in chats
        if "text" in params:
            assert 1 <= units(params["text"]) <= 4096
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            assert 1 <= len(row) <= 8
            assert all(len(b.get("callback_data", "").encode()) <= 64 for b in row)
