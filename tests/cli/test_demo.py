"""`icebreaker demo`: a whole event, deterministic for a seed, ending with the organiser's stats."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from adapters.demo import run_demo


async def _demo(seed: int, attendees: int) -> str:
    out = io.StringIO()
    assert await run_demo(seed=seed, attendees=attendees, database_url=None, out=out) == 0
    return out.getvalue()


async def test_the_demo_runs_the_whole_campaign_and_ends_with_stats() -> None:
    text = await _demo(7, 10)
    for step in ("welcome: queued 10", "intros: round 1: 5 groups", "reminder: queued 10", "lookout", "followup"):
        assert f"Campaign step {step}" in text
    assert "👋 Meet " in text and "Conversation starter:" in text
    assert "Still coming?" in text and "Did you meet" in text
    stats = text[text.index("Olivia> /stats") :]
    assert "Joined: 10" in stats and "Answered the poll: 10 of 10" in stats and "Matched: 10" in stats


async def test_the_demo_is_deterministic_for_a_seed() -> None:
    first, again, other = await _demo(3, 8), await _demo(3, 8), await _demo(4, 8)
    assert first == again
    assert first != other


def test_the_readme_command_runs_the_demo() -> None:
    env = {**os.environ, "ICEBREAKER_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "demo", "--attendees", "6", "--seed", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "The organiser checks the numbers" in result.stdout and "Traceback" not in result.stderr
