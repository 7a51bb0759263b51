"""An event's outcome rows as CSV, without names or ids, cut into parts a chat message can hold.

One row per combination of answers with a ``people`` column, not one row per person: a 10,000-member event
would otherwise be 10,000 lines (a hundred chat messages), and the counts carry the same information for any
analysis (repeat each row ``people`` times, or use it as a frequency weight). The rows are sorted by their
values, so their order reveals nothing about who joined when.

Each part is a complete CSV (with the header), short enough for one Slack section (3,000 characters) and one
Telegram message (4,096), so pasting any part into a spreadsheet works on its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.messages import Message, MessageBuilder, bold, code
from storage.holdouts import OutcomeRow

HEADER = ("group", "was_introduced", "rsvp", "attended", "met_someone_new", "left_event", "people")
PART_LIMIT = 2800  # characters of CSV in one message


def _group(row: OutcomeRow) -> str:
    if row.held_out is None:
        return "no_holdout"
    return "held_out" if row.held_out else "introduced"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def cells(row: OutcomeRow) -> tuple[str, ...]:
    return (
        _group(row),
        _yes_no(row.introduced),
        row.rsvp or "",
        row.attended or "",
        row.met_someone_new or "",
        _yes_no(row.left),
        str(row.people),
    )


def _line(values: Sequence[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def csv_parts(rows: Sequence[OutcomeRow], limit: int = PART_LIMIT) -> list[str]:
    """The rows as CSV texts of at most ``limit`` characters, each starting with the header."""
    header = _line(HEADER)
    lines = [_line(cells(row)) for row in sorted(rows, key=cells)]
    parts: list[str] = []
    current = header
    for line in lines:
        if len(current) + len(line) > limit and current != header:
            parts.append(current.rstrip("\n"))
            current = header
        current += line
    parts.append(current.rstrip("\n"))
    return parts


def messages(event_name: str, rows: Sequence[OutcomeRow]) -> list[Message]:
    """One chat message per part: a title, a short explanation on the first, and the CSV as a code block."""
    parts = csv_parts(rows)
    out = []
    for number, part in enumerate(parts, 1):
        builder = MessageBuilder().line(bold(f"Outcome rows of {event_name}"), f" (part {number} of {len(parts)})")
        if number == 1:
            builder.line(
                "One row per combination of answers; “people” is how many gave it. No names, no ids. "
                "Copy the block into a spreadsheet or a .csv file."
            )
        builder.line(code(part))
        out.append(builder.build())
    return out
