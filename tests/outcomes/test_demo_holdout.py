"""`icebreaker demo --holdout 20 --attendees 400`: a planted effect, shown by the organiser's closing /stats."""

from __future__ import annotations

import io
import re

import pytest

from adapters.cli import main
from adapters.demo import run_demo


async def test_the_demo_with_a_holdout_ends_with_stats_that_show_the_effect() -> None:
    out = io.StringIO()
    assert await run_demo(seed=7, attendees=400, database_url=None, out=out, holdout=20) == 0
    text = out.getvalue()
    assert "Olivia> /rules holdout 20" in text and "Holdout on for Tech Mixer Lisbon: 20 %" in text
    stats = text[text.rindex("Olivia> /stats") :]
    introduced = re.search(r"Introduced: RSVP yes .*? attended \d+ % \((\d+) of (\d+)\)", stats)
    held_out = re.search(r"Held out: RSVP yes .*? attended \d+ % \((\d+) of (\d+)\)", stats)
    assert introduced and held_out, stats
    assert int(introduced.group(2)) + int(held_out.group(2)) == 400
    assert 40 <= int(held_out.group(2)) <= 120  # about 20 % of 400
    assert re.search(r"Attendance: introduced attendees came more often: \+\d+ points, 95 % CI \+\d+ to \+\d+", stats)


def test_the_cli_takes_the_holdout_flag_and_a_small_demo_is_too_few_to_tell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--holdout", "20", "--attendees", "12", "--seed", "2"]) == 0
    stats = capsys.readouterr().out.split("Olivia> /stats")[-1]
    assert "Attendance: too few people to tell yet: " in stats
