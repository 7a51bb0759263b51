"""Rounds through the console adapter, as an organiser and members would use the shell."""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta

from adapters.console import ConsolePlatform, Shell
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from storage.database import Database


async def test_preview_send_never_again_and_followup_in_the_shell(database: Database, clock: ManualClock) -> None:
    out = io.StringIO()
    console = ConsolePlatform(out=out)
    shell = Shell(
        Core(database, clock, Policy(), rng=random.Random(3)),
        Delivery(database, {"console": console}, clock),
        console,
        user="Olivia",
    )

    async def lines(*script: str) -> str:
        start = out.tell()
        for line in script:
            await shell.step(line)
        return out.getvalue()[start:]

    created = await lines('/newevent "HR Tweetup" 2026-12-10 18:30 Europe/London', "/poll Python, Hiking, Design")
    code = re.search(r"Join code: (\w+)", created)
    assert code
    picks = {"Alice": "1", "Bob": "1", "Carol": "2", "Dan": "2"}  # Alice and Bob: Python; Carol and Dan: Hiking
    for name, pick in picks.items():
        await lines(f"/as {name}", f"/join {code[1]}", "1", pick, "4")
    preview = await lines("/as Olivia", "/match")
    assert "Preview of round 1" in preview and "Alice + Bob — score" in preview and "you both picked Python" in preview
    assert "✉" not in preview  # a preview sends nothing
    sent = await lines("/match now", "1")  # and Yes: the campaign's intros were still to come
    assert "Round 1 of HR Tweetup is on its way" in sent
    intro_to_alice = sent[sent.index("✉  to alice") :]
    assert "Meet Bob (@bob)!" in intro_to_alice and "Why: you both picked Python." in intro_to_alice
    assert "Conversation starter: “" in intro_to_alice
    assert "[1] Said hi 👋   [2] Not now   [3] Don't match me with them again" in intro_to_alice
    assert "won't match you with Bob again" in await lines("/as Alice", "3")

    clock.advance(timedelta(days=7))
    second = await lines("/as Olivia", "/match")
    assert "Preview of round 2" in second and "Alice + Bob" not in second

    asked = await lines("/followup", "1")  # before the event it asks first: [1] Yes, ask now
    # Alice blocked Bob: she is not asked about him; Bob still is about her.
    assert "Asked 3 members whether they met" in asked and "Did you meet Bob (@bob)" not in asked
    assert "Did you meet Alice (@alice)" in asked
    await lines("/as Bob", "1", "5")  # yes, five stars
    await lines("/as Carol", "1", "3")  # yes, three stars
    await lines("/as Dan", "3")  # no
    stats = await lines("/as Olivia", "/stats")
    assert "Matched: 4  ·  said hi: 0  ·  met: 2  ·  average rating: 4.0 / 5" in stats
