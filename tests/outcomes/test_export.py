"""The CSV export: parts that each hold the header, every row once, and render whole on Slack and Telegram."""

from __future__ import annotations

import csv
import io
import itertools
import random

from adapters.slack import render as slack
from adapters.telegram import render as telegram
from bot.messages import Run, Style
from bot.outcomes import export
from storage.holdouts import OutcomeRow


def every_combination() -> list[OutcomeRow]:
    rng = random.Random(5)
    answers = (None, "yes", "no")
    combos = itertools.product((True, False, None), (True, False), answers, answers, answers, (True, False))
    return [OutcomeRow(*combo, people=rng.randint(1, 99_999)) for combo in combos]


def test_each_part_is_a_whole_csv_and_every_row_appears_once() -> None:
    rows = every_combination()
    parts = export.csv_parts(rows)
    assert len(parts) > 1
    seen = []
    for part in parts:
        assert len(part) <= export.PART_LIMIT
        table = list(csv.reader(io.StringIO(part)))
        assert tuple(table[0]) == export.HEADER
        seen += [tuple(line) for line in table[1:]]
    assert sorted(seen) == sorted(export.cells(row) for row in rows)
    assert sum(int(line[-1]) for line in seen) == sum(row.people for row in rows)


def test_a_long_name_and_markup_stay_text_and_each_part_renders_in_one_piece() -> None:
    name = "<!channel> *Big* `event` " + "x" * 90
    for message in export.messages(name, every_combination()):
        block = next(p for line in message.lines for p in line if isinstance(p, Run) and p.style == Style.CODE)
        blocks = slack.render(message).blocks
        preformatted = [
            "".join(part.get("text", "") for part in element["elements"])
            for b in blocks
            if b["type"] == "rich_text"
            for element in b["elements"]
            if element["type"] == "rich_text_preformatted"
        ]
        assert preformatted.count(block.text) == 1  # the CSV is one code block, not cut
        texts = [part for b in blocks if b["type"] == "rich_text" for e in b["elements"] for part in e["elements"]]
        assert all(part["type"] in ("text", "link") for part in texts)  # "<!channel>" is literal text, no broadcast
        parts = telegram.split(telegram.render(message))
        assert len(parts) == 1 and block.text in parts[0].text  # one Telegram message, the CSV whole
